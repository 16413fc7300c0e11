"""``backbone bench review``'s inputs: the deliveries it signs, the pull requests it makes on
the fake GitHub, and the ledger that finds every acknowledged delivery (no stores)."""

from __future__ import annotations

import json
import uuid
from collections import Counter
from collections.abc import Iterator

import pytest
from celery import Celery
from starlette.testclient import TestClient

from backbone.bench._review_ledger import Ledger, Row, message_ids, reconcile
from backbone.bench._review_load import Acked, DeliveryTemplate, delivery_headers, head_of
from backbone.bench._review_pulls import FILES, FINDINGS_PER_FILE, FakeGitHub, head_files
from backbone.jobs._publish import envelope
from backbone.mocks.github import create_app
from backbone.mocks.github.config import GitHubFakeSettings
from backbone.review.lint import lint_python
from backbone.review.webhook import decide, parse_body, signature_matches

REPO = "backbone-bench/review-test"
SECRET = b"the-run's-own-webhook-secret"


@pytest.fixture
def fake() -> Iterator[FakeGitHub]:
    """The bench's controls of an in-process fake GitHub."""
    app = create_app(GitHubFakeSettings(_env_file=None))  # type: ignore[call-arg]
    with TestClient(app) as client:
        yield FakeGitHub(client, REPO)


def test_head_of_is_a_sha_of_the_runs_own() -> None:
    """40 hex digits, the same for the same token and number, another for either changed."""
    head = head_of("abc", 100_000)
    assert len(head) == 40
    assert int(head, 16) >= 0
    assert head == head_of("abc", 100_000)
    assert len({head, head_of("abc", 100_001), head_of("abd", 100_000)}) == 3


def test_a_rendered_delivery_is_one_the_service_queues(fake: FakeGitHub) -> None:
    """The fake's body, renumbered: signed as GitHub signs, parsed and decided by the review
    service's own functions as a new review of that pull request at that head; the rest of
    GitHub's body kept."""
    fake.create_pull(1)
    body = fake.webhook_body(1)
    template = DeliveryTemplate(body)
    head = head_of("token", 123_456)
    raw = template.render(123_456, head)
    headers = delivery_headers(SECRET, raw, "d-1", "pull_request")
    assert signature_matches(SECRET, raw, headers["X-Hub-Signature-256"])
    assert not signature_matches(b"another secret", raw, headers["X-Hub-Signature-256"])
    assert headers["X-GitHub-Event"] == "pull_request"
    assert headers["X-GitHub-Delivery"] == "d-1"
    decision = decide("pull_request", parse_body(raw, "application/json"), skip_senders=frozenset())
    assert decision.outcome == "queued"
    assert decision.event is not None
    assert decision.event.pull_request.number == 123_456
    assert decision.event.pull_request.head.sha == head
    parsed = json.loads(raw)
    assert parsed["number"] == 123_456
    assert parsed["repository"] == body["repository"]
    assert parsed["pull_request"]["title"] == body["pull_request"]["title"]


def test_a_template_refuses_a_body_that_holds_its_placeholders(fake: FakeGitHub) -> None:
    """A body that already carries the placeholder number could not be renumbered safely."""
    fake.create_pull(1)
    body = fake.webhook_body(1)
    body["pull_request"]["title"] = "about 987654321"
    with pytest.raises(ValueError, match="placeholders"):
        DeliveryTemplate(body)


def test_create_pull_makes_twenty_changed_python_files(fake: FakeGitHub) -> None:
    """A pull request with the 20 modules changed (and the README not), at a real head."""
    head = fake.create_pull(7)
    assert len(head) == 40
    body = fake.webhook_body(7)
    assert body["pull_request"]["head"]["sha"] == head
    assert body["pull_request"]["changed_files"] == FILES
    assert body["action"] == "opened"
    assert fake.webhook_body(7, "synchronize")["action"] == "synchronize"


def test_each_module_carries_its_six_findings_for_the_reviews_default_rules() -> None:
    """ruff (as the review runs it) finds the six findings in every module of the head."""
    sources = {path: text for path, text in head_files(3).items() if path.endswith(".py")}
    changed = {path: frozenset(range(1, text.count("\n") + 2)) for path, text in sources.items()}
    findings = lint_python(sources, changed=changed)
    assert len(sources) == FILES
    assert len(findings) == FILES * FINDINGS_PER_FILE
    by_file = Counter(finding.path for finding in findings)
    assert set(by_file.values()) == {FINDINGS_PER_FILE}
    codes = sorted(f.code for f in findings if f.path == "src/bench/part_00.py")
    assert codes == ["B006", "E501", "E711", "F401", "F401", "SIM108"]


def test_modules_differ_from_one_pull_request_to_the_next() -> None:
    """No two pull requests share a module's text: no review can reuse another's work."""
    assert head_files(1)["src/bench/part_00.py"] != head_files(2)["src/bench/part_00.py"]


def _acked(count: int) -> list[Acked]:
    return [Acked(f"d-{n}", str(uuid.UUID(int=n))) for n in range(count)]


def _rows(acked: list[Acked], state: str = "pending") -> dict[str, list[Row]]:
    return {ack.delivery: [Row(ack.review_id, state)] for ack in acked}


def test_reconcile_every_delivery_recorded_and_queued_is_none_lost() -> None:
    """One row each, one message each: all on the queue, none lost."""
    acked = _acked(3)
    ledger = reconcile(acked, _rows(acked), Counter(a.review_id for a in acked))
    assert ledger == Ledger(3, 3, 3, 0, 0, 0, 0)


def test_reconcile_counts_each_way_to_lose_a_delivery() -> None:
    """No row, another row, two rows, a pending row without its message: four lost; a row
    a worker took without its message is consumed, not lost."""
    acked = _acked(6)
    rows = _rows(acked)
    del rows["d-0"]
    rows["d-1"] = [Row(str(uuid.uuid4()), "pending")]
    rows["d-2"] = [*rows["d-2"], Row(str(uuid.uuid4()), "pending")]
    rows["d-4"] = [Row(acked[4].review_id, "in_progress")]
    messages = Counter(a.review_id for a in acked if a.delivery not in {"d-3", "d-4"})
    ledger = reconcile(acked, rows, messages)
    assert (ledger.acknowledged, ledger.recorded, ledger.queued) == (6, 3, 1)
    assert (ledger.consumed, ledger.lost) == (1, 4)


def test_reconcile_counts_duplicates_and_rows_no_answer_named() -> None:
    """Two messages for one review are a duplicate (not a loss); a row whose answer never
    arrived is counted apart."""
    acked = _acked(2)
    rows = {**_rows(acked), "d-unanswered": [Row(str(uuid.uuid4()), "pending")]}
    messages = Counter(a.review_id for a in acked)
    messages[acked[0].review_id] += 1
    ledger = reconcile(acked, rows, messages)
    assert (ledger.lost, ledger.duplicated, ledger.unacknowledged) == (0, 1, 1)


def test_message_ids_reads_the_envelope_the_api_publishes() -> None:
    """The task id of each message, as the review API's publisher writes it to Redis."""
    celery = Celery(set_as_current=False)
    ids = [uuid.uuid4(), uuid.uuid4()]
    raw = [
        json.dumps(envelope(celery, "backbone.review.review_pull_request", i, queue="q")).encode()
        for i in [*ids, ids[0]]
    ]
    assert message_ids(raw) == Counter({str(ids[0]): 2, str(ids[1]): 1})


def test_bursts_send_all_at_once_and_time_only_after_the_warm_up() -> None:
    """Each burst has ``users`` requests in flight together (and no more), a burst whose
    start is in the warm-up is sent but not timed, and every request is counted."""
    import asyncio

    import aiohttp

    from backbone.bench._review_load import Window, _in_bursts

    in_flight, most = 0, 0

    async def send(_session: aiohttp.ClientSession) -> bool:
        nonlocal in_flight, most
        in_flight += 1
        most = max(most, in_flight)
        await asyncio.sleep(0.01)
        in_flight -= 1
        return True

    window = Window(users=7, warmup=0.15, seconds=0.5, bursts=True)
    samples, sent = asyncio.run(_in_bursts(window, send))
    assert most == 7
    assert sent % 7 == 0
    assert 0 < len(samples.latencies_ms) < sent
    assert len(samples.latencies_ms) % 7 == 0
    assert samples.errors == 0
