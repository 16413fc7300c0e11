"""``backbone up`` as a user runs it: start the stack, curl it, Ctrl-C, nothing left behind."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import psutil
import pytest

from backbone.community import DEVELOPMENT_API_TOKEN
from backbone.devstack import find_free_port
from tests._local import scratch_directory

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(120)]

READY = "backbone up: ready"
FINAL = ("complete", "failed", "cancelled")
PROCESSES = (
    "flaky",
    "users",
    "orders",
    "gateway",
    "reports",
    "assistant",
    "review",
    "community",
    "github",
    "redis",
    "postgres",
)


@pytest.fixture
def tmp_path() -> Iterator[Path]:
    """A temporary directory outside pytest's basetemp (see scratch_directory)."""
    with scratch_directory("backbone-e2e-") as path:
        yield path


@dataclass
class Up:
    """A running ``backbone up`` and where its output goes."""

    process: subprocess.Popen[bytes]
    stdout: Path
    stderr: Path
    flaky_port: int
    ports: dict[str, int] = field(default_factory=dict)

    def output(self) -> str:
        return self.stdout.read_text() + self.stderr.read_text()

    def wait_ready(self, timeout: float = 90) -> None:
        deadline = time.monotonic() + timeout
        while READY not in self.stdout.read_text():
            code = self.process.poll()
            assert code is None, f"backbone up exited with {code}:\n{self.output()}"
            assert time.monotonic() < deadline, f"not ready in {timeout}s:\n{self.output()}"
            time.sleep(0.1)

    def descendants(self) -> list[psutil.Process]:
        return psutil.Process(self.process.pid).children(recursive=True)


# No Discord token reaches up: its bot stays off (and up says so).
_NOT_PASSED = ("REDIS_URL", "DATABASE_URL", "DISCORD_TOKEN", "BACKBONE_COMMUNITY_DISCORD_TOKEN")


def _env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in _NOT_PASSED}
    env.update(PYTHONUNBUFFERED="1", COLUMNS="200", **extra)
    return env


@contextlib.contextmanager
def backbone_up(tmp_path: Path, *args: str, **env: str) -> Iterator[Up]:
    """Run ``python -m backbone.cli up`` on free ports in ``tmp_path``; kill all it left, after."""
    ports = {name: find_free_port() for name in PROCESSES}
    port_env = {f"BACKBONE_{name.upper()}_PORT": str(port) for name, port in ports.items()}
    stdout, stderr = tmp_path / "up.out", tmp_path / "up.err"
    with stdout.open("wb") as out, stderr.open("wb") as err:
        process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "backbone.cli",
                "up",
                "--data-dir",
                str(tmp_path / "data"),
                *args,
            ],
            cwd=tmp_path,  # no stray .env
            env=_env(**port_env, **env),
            stdout=out,
            stderr=err,
        )
    up = Up(process, stdout, stderr, ports["flaky"], ports)
    seen: list[psutil.Process] = []
    try:
        yield up
    finally:
        with contextlib.suppress(psutil.NoSuchProcess):
            seen = up.descendants()
        for proc in seen:
            with contextlib.suppress(psutil.NoSuchProcess):
                proc.kill()
        if process.poll() is None:
            process.kill()
        process.wait(10)


def _serving(processes: list[psutil.Process], name: str) -> psutil.Process:
    """The ``backbone serve NAME`` process among ``processes``."""
    for process in processes:
        argv = process.cmdline()
        if "serve" in argv and argv[argv.index("serve") + 1 :][:1] == [name]:
            return process
    raise AssertionError(f"no process serves {name}")


def _flaky_answers(port: int) -> list[int]:
    """The README's curl, three times, on a key no one used."""
    url = f"http://127.0.0.1:{port}/flaky/{uuid.uuid4().hex}"
    return [httpx.get(url, timeout=10).status_code for _ in range(3)]


def _mocks_answer(up: Up) -> None:
    """The table's curls for users and orders answer: John Doe and his orders."""
    users = f"http://127.0.0.1:{up.ports['users']}/users/123"
    orders = f"http://127.0.0.1:{up.ports['orders']}/orders?user_id=123"
    assert f"curl -i {users}" in up.output()
    assert f"curl -i '{orders}'" in up.output()
    assert httpx.get(users, timeout=10).json()["name"] == "John Doe"
    assert httpx.get(orders, timeout=10).json()["total"] >= 2
    gateway = f"http://127.0.0.1:{up.ports['gateway']}"
    assert f"curl -i {gateway}/users/123" in up.output()
    # up told the gateway where the services are: it reaches them on their chosen ports.
    assert httpx.get(f"{gateway}/users/123", timeout=10).json()["name"] == "John Doe"
    summary = httpx.get(f"{gateway}/users/123/summary", timeout=10).json()
    assert summary["partial"] is False


def _report_made(up: Up) -> None:
    """The README's curls: submit a report, poll its status until complete, download it."""
    api = f"http://127.0.0.1:{up.ports['reports']}"
    assert f"curl -i -X POST {api}/generate-report" in up.output()
    submitted = httpx.post(f"{api}/generate-report", timeout=10)
    assert submitted.status_code == 202, submitted.text
    job_id = submitted.json()["job_id"]
    assert submitted.headers["location"] == f"/reports/{job_id}/status"
    deadline = time.monotonic() + 60
    seen = []
    while not seen or seen[-1] not in ("complete", "failed", "cancelled"):
        assert time.monotonic() < deadline, f"job not done in 60s: {seen}\n{up.output()}"
        status = httpx.get(f"{api}/reports/{job_id}/status", timeout=10)
        assert status.status_code == 200, status.text
        seen.append(status.json()["status"])
        time.sleep(0.2)
    assert seen[-1] == "complete", seen
    report = httpx.get(f"{api}/reports/{job_id}", timeout=10)
    assert report.status_code == 200
    assert report.headers["content-type"].startswith("text/plain")
    assert f"job: {job_id}" in report.text


README_CSV = (
    "date,region,amount\n2026-01-01,north,120.5\n2026-01-02,south,98\n"
    "2026-01-03,north,130.25\n2026-01-04,south,101\n2026-01-05,north,990\n"
)


def _analysis_made(up: Up) -> None:
    """The README's curls: register, token, upload, analyse, follow, read the result and chart."""
    api = f"http://127.0.0.1:{up.ports['assistant']}"
    assert f"curl -i {api}/readyz" in up.output()
    account = {"email": "ada@example.com", "password": "correct horse battery"}
    assert httpx.post(f"{api}/v1/auth/register", json=account, timeout=10).status_code == 201
    form = {"username": account["email"], "password": account["password"]}
    token = httpx.post(f"{api}/v1/auth/token", data=form, timeout=10).json()["access_token"]
    auth = {"Authorization": f"Bearer {token}"}
    files = {"file": ("sales.csv", README_CSV.encode(), "text/csv")}
    dataset = httpx.post(f"{api}/v1/datasets", files=files, headers=auth, timeout=10).json()
    body = {
        "type": "analysis",
        "input": {"dataset_id": dataset["dataset_id"], "question": "trend?"},
    }
    submitted = httpx.post(f"{api}/v1/tasks", json=body, headers=auth, timeout=10)
    assert submitted.status_code == 202, submitted.text
    url = f"{api}{submitted.headers['location']}"
    deadline = time.monotonic() + 60
    while (task := httpx.get(url, headers=auth, timeout=10).json())["status"] not in FINAL:
        assert time.monotonic() < deadline, f"task not done in 60s: {task}\n{up.output()}"
        time.sleep(0.2)
    assert task["status"] == "complete", task
    assert task["result"]["data"]["columns"]["amount"]["max"] == 990
    chart = httpx.get(f"{api}{task['result']['artifacts'][0]['url']}", headers=auth, timeout=10)
    assert chart.content.startswith(b"\x89PNG")


README_GOAL = (
    "Cancel the pending orders of user 123 older than 30 days, generate a report for user"
    " 123 and flag user 123 for follow-up because of late payments"
)


def _wait_status(url: str, auth: dict[str, str], until: set[str], up: Up) -> dict[str, Any]:
    deadline = time.monotonic() + 60
    while (task := httpx.get(url, headers=auth, timeout=10).json())["status"] not in until:
        assert time.monotonic() < deadline, f"task not {until} in 60s: {task}\n{up.output()}"
        time.sleep(0.2)
    body: dict[str, Any] = task
    return body


def _automation_done(up: Up) -> None:
    """The README's automation: submit, plan, approve; the Order Service shows the seeded
    pending order of user 123 cancelled and the report processor has the report job."""
    api = f"http://127.0.0.1:{up.ports['assistant']}"
    form = {"username": "ada@example.com", "password": "correct horse battery"}
    token = httpx.post(f"{api}/v1/auth/token", data=form, timeout=10).json()["access_token"]
    auth = {"Authorization": f"Bearer {token}"}
    body = {"type": "automation", "input": {"goal": README_GOAL}}
    submitted = httpx.post(f"{api}/v1/tasks", json=body, headers=auth, timeout=10)
    assert submitted.status_code == 202, submitted.text
    url = f"{api}{submitted.headers['location']}"
    planned = _wait_status(url, auth, {"awaiting-approval", *FINAL}, up)
    assert planned["status"] == "awaiting-approval", planned
    assert len(planned["result"]["data"]["plan"]["actions"]) == 3
    approved = httpx.post(f"{url}/approve", headers=auth, timeout=10)
    assert approved.status_code == 200, approved.text
    task = _wait_status(url, auth, set(FINAL), up)
    assert task["status"] == "complete", task
    gateway = f"http://127.0.0.1:{up.ports['gateway']}"
    orders = httpx.get(f"{gateway}/orders", params={"user_id": 123}, timeout=10).json()
    assert {o["order_id"]: o["status"] for o in orders["items"]} == {1: "paid", 2: "cancelled"}
    job_id = task["result"]["data"]["done"][1]["answer"]["job_id"]
    reports = f"http://127.0.0.1:{up.ports['reports']}"
    report = httpx.get(f"{reports}/reports/{job_id}/status", timeout=10).json()
    assert report["title"] == "Report for user 123"


DEVELOPMENT_WEBHOOK_SECRET = "development-only-webhook-secret-change-me"
FAKE_TOKEN = {"Authorization": "Bearer fake-github-token"}


def _openssl_signature(body: Path) -> str:
    """The README's ``openssl dgst -sha256 -hmac`` line, run as written."""
    out = subprocess.run(
        ["openssl", "dgst", "-sha256", "-hmac", DEVELOPMENT_WEBHOOK_SECRET, str(body)],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    return "sha256=" + out.strip().rsplit(" ", 1)[-1]


def _review_posted(up: Up, tmp_path: Path) -> None:
    """The README's review demo: fetch the fake GitHub's delivery for pull request #1,
    sign it with openssl, send it with curl's headers; the fake shows one marked comment
    with the seeded ruff findings."""
    github = f"http://127.0.0.1:{up.ports['github']}"
    review = f"http://127.0.0.1:{up.ports['review']}"
    assert "reviews go to the fake GitHub" in up.output()
    delivery = httpx.get(
        f"{github}/_fake/pulls/octo-org/hello-world/1/webhook", params={"action": "opened"}
    )
    assert delivery.status_code == 200, delivery.text
    body = tmp_path / "delivery.json"
    body.write_bytes(delivery.content)
    headers = {
        "Content-Type": "application/json",
        "X-GitHub-Event": "pull_request",
        "X-GitHub-Delivery": str(uuid.uuid4()),
        "X-Hub-Signature-256": _openssl_signature(body),
    }
    sent = httpx.post(f"{review}/webhooks/github", content=body.read_bytes(), headers=headers)
    assert sent.status_code == 202, sent.text
    assert sent.json()["outcome"] == "queued"
    comments_url = f"{github}/repos/octo-org/hello-world/issues/1/comments"
    deadline = time.monotonic() + 60
    while not (comments := httpx.get(comments_url, headers=FAKE_TOKEN, timeout=10).json()):
        assert time.monotonic() < deadline, f"no comment in 60s\n{up.output()}"
        time.sleep(0.3)
    [comment] = comments
    assert comment["body"].startswith("<!-- backbone-review -->")
    assert "F401" in comment["body"]


def _stop_and_check(up: Up, sig: signal.Signals) -> None:
    children = up.descendants()
    assert children, "up started no processes"
    up.process.send_signal(sig)
    assert up.process.wait(60) == 0, up.output()
    _, alive = psutil.wait_procs(children, timeout=10)
    assert not alive, f"left running: {alive}"
    assert f"{sig.name}: stopping" in up.output()


def _community_answers(up: Up) -> None:
    """The README's CRM curls answer (migrated, empty), and up said the bot is off."""
    assert "community-bot: not started - no Discord token" in up.output()
    crm = f"http://127.0.0.1:{up.ports['community']}"
    auth = {"Authorization": f"Bearer {DEVELOPMENT_API_TOKEN}"}
    page = httpx.get(f"{crm}/members", params={"status": "hot-lead"}, headers=auth, timeout=10)
    assert page.json()["total"] == 0, page.text
    export = httpx.get(f"{crm}/members.csv", headers=auth, timeout=10)
    assert export.text.startswith("id,guild_id,user_id,display_name,"), export.text
    assert httpx.get(f"{crm}/members", timeout=10).status_code == 401


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM])
def test_embedded_stack_serves_flaky_and_stops_everything(
    tmp_path: Path, sig: signal.Signals
) -> None:
    """Without REDIS_URL / DATABASE_URL, up embeds both; flaky answers 503, 503, 200; a signal
    stops every process it started."""
    with backbone_up(tmp_path) as up:
        up.wait_ready()
        assert {"redis-server", "postgres"} <= {p.name() for p in up.descendants()}
        assert f"curl -i http://127.0.0.1:{up.flaky_port}/flaky/demo" in up.output()
        assert _flaky_answers(up.flaky_port) == [503, 503, 200]
        _mocks_answer(up)
        if sig is signal.SIGINT:
            _review_posted(up, tmp_path)
            _community_answers(up)
        _stop_and_check(up, sig)
    assert (tmp_path / "data" / "postgres" / "PG_VERSION").exists()


def test_external_urls_start_no_servers(tmp_path: Path, redis_url: str, database_url: str) -> None:
    """With REDIS_URL / DATABASE_URL set, up starts only the service and passes the URLs on."""
    env = {
        "REDIS_URL": redis_url,
        "DATABASE_URL": database_url,
        # A queue of its own on the shared Redis, and a job of two seconds.
        "BACKBONE_REPORTS_QUEUE": f"e2e-up-{uuid.uuid4().hex[:8]}",
        "BACKBONE_REPORTS_JOB_SECONDS": "2",
        "BACKBONE_ASSISTANT_QUEUE": f"e2e-up-assistant-{uuid.uuid4().hex[:8]}",
        "BACKBONE_REVIEW_QUEUE": f"e2e-up-review-{uuid.uuid4().hex[:8]}",
    }
    with backbone_up(tmp_path, **env) as up:
        up.wait_ready()
        started = up.descendants()
        assert {p.name() for p in started} <= {"python", "python3", "python3.11", "celery"}
        flaky = _serving(started, "flaky")
        assert flaky.environ()["REDIS_URL"] == redis_url
        assert "external" in up.output()
        assert _flaky_answers(up.flaky_port) == [503, 503, 200]
        _report_made(up)
        assert list((tmp_path / "data" / "reports").glob("*.txt")), "report not in the data dir"
        _analysis_made(up)
        assert list((tmp_path / "data" / "assistant").rglob("chart.png")), "chart not in data dir"
        _automation_done(up)
        _stop_and_check(up, signal.SIGINT)


def test_a_service_that_dies_stops_the_rest_with_an_error(tmp_path: Path) -> None:
    """If a child dies unexpectedly, up says which, stops the others and exits non-zero."""
    with backbone_up(tmp_path, "--only", "flaky", "--only", "redis") as up:
        up.wait_ready()
        children = up.descendants()
        flaky = _serving(children, "flaky")
        flaky.kill()
        assert up.process.wait(60) == 1, up.output()
        _, alive = psutil.wait_procs(children, timeout=10)
        assert not alive
        assert "flaky exited unexpectedly with code -9" in up.output()
