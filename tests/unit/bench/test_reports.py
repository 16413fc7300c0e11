"""``backbone bench reports``: the load, the summaries, the tables and the goals (no stores)."""

from __future__ import annotations

import contextlib
import http.server
import json
import types
import uuid
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from rich.console import Console
from typer.testing import CliRunner

from backbone.bench import _celery, _reports
from backbone.bench._reports import (
    BARE,
    NAIVE,
    OURS,
    EndpointRow,
    ReportsOptions,
    ThroughputRow,
    goal_lines,
    render_latency,
    render_throughput,
    summarize_batches,
    summarize_endpoint,
)
from backbone.bench._reports_load import (
    STATUS,
    SUBMIT,
    Batch,
    Samples,
    UserLoad,
    Waited,
    submit_jobs,
    user_load,
    wait_until,
)
from backbone.bench._reports_stack import Names, _long_job_limits, with_database
from backbone.bench._stack import StackError
from backbone.cli import app
from backbone.devstack import StopRequested
from tests import _local as local

# ---------------------------------------------------------------------------- a fake API


class _Api(http.server.BaseHTTPRequestHandler):
    """``/generate-report`` and ``/reports/{id}/status`` under ``/ok``; ``/fail``: 503;
    ``/garbage``: 202 whose body is no job."""

    protocol_version = "HTTP/1.1"

    def _answer(self, status: int, body: bytes) -> None:
        self.send_response(status)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers.get("Content-Length", 0)))
        if self.path.startswith("/fail"):
            self._answer(503, b"{}")
        elif self.path.startswith("/garbage"):
            self._answer(202, b"not json")
        else:
            self._answer(202, json.dumps({"job_id": str(uuid.uuid4())}).encode())

    def do_GET(self) -> None:
        self._answer(200, b'{"status": "pending"}')

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def api() -> Iterator[str]:
    """A threaded HTTP/1.1 server standing in for the report API."""
    with local.http_server(_Api) as url:
        yield url


# ---------------------------------------------------------------------------- the load


def test_user_load_measures_both_endpoints(api: str) -> None:
    """Every user submits then reads status three times: both endpoints sampled, no errors."""
    samples = user_load(api + "/ok", UserLoad(users=3, warmup=0.2, duration=0.5))
    submits, reads = samples[SUBMIT], samples[STATUS]
    assert submits.errors == reads.errors == 0
    assert submits.latencies_ms
    assert len(submits.latencies_ms) <= len(reads.latencies_ms) <= 3 * len(submits.latencies_ms)


def test_user_load_with_think_time_pauses(api: str) -> None:
    """Pausing 0.2 s after each answer, 2 users send about 3 requests each in 0.5 s."""
    samples = user_load(api + "/ok", UserLoad(users=2, warmup=0, duration=0.5, think=0.2))
    sent = len(samples[SUBMIT].latencies_ms) + len(samples[STATUS].latencies_ms)
    assert 2 <= sent <= 8


def test_user_load_counts_refusals_and_reads_no_status_without_a_job(api: str) -> None:
    """503s are errors; with no job id ever given, no status is read."""
    samples = user_load(api + "/fail", UserLoad(users=2, warmup=0, duration=0.3))
    assert samples[SUBMIT].errors == len(samples[SUBMIT].latencies_ms) > 0
    assert samples[STATUS].latencies_ms == []
    garbage = user_load(api + "/garbage", UserLoad(users=1, warmup=0, duration=0.2))
    assert garbage[SUBMIT].errors == 0
    assert garbage[STATUS].latencies_ms == []


def test_user_load_counts_unreachable_as_errors() -> None:
    """A refused connection is an error, not a crash."""
    samples = user_load("http://127.0.0.1:9", UserLoad(users=1, warmup=0, duration=0.2))
    assert samples[SUBMIT].errors == len(samples[SUBMIT].latencies_ms) > 0


def test_submit_jobs_returns_the_accepted_ids(api: str) -> None:
    """All accepted: one id each; refused or unreadable answers give none."""
    job_ids = submit_jobs(api + "/ok", 7, connections=3)
    assert len(set(job_ids)) == 7
    assert submit_jobs(api + "/fail", 3, connections=5) == []
    assert submit_jobs(api + "/garbage", 2, connections=1) == []


class _Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.now += seconds


def test_wait_until_returns_when_the_target_is_reached() -> None:
    """The value and the time it was first seen at the target."""
    clock, values = _Clock(), iter([0, 0, 3, 5, 9])
    waited = wait_until(lambda: next(values), 5, clock=clock, sleep=clock.sleep, interval=1)
    assert waited == Waited(5, 3.0)


def test_wait_until_gives_up_when_the_count_stalls() -> None:
    """No movement for longer than ``stall``: the last value and when it last moved."""
    clock, values = _Clock(), iter([0, 2] + [2] * 100)
    waited = wait_until(
        lambda: next(values), 5, clock=clock, sleep=clock.sleep, interval=1, stall=3
    )
    assert waited == Waited(2, 1.0)
    assert clock.now == 5.0


def test_wait_until_stops_when_the_check_raises() -> None:
    """The check (a worker that died) interrupts the wait."""

    def check() -> None:
        raise RuntimeError("worker exited")

    with pytest.raises(RuntimeError, match="worker exited"):
        wait_until(lambda: 0, 1, check=check, sleep=lambda _: None)


# ---------------------------------------------------------------------------- summaries


def test_summarize_endpoint_gives_rate_percentiles_max_and_errors() -> None:
    """1..100 ms over 4 s: 25 req/s, p50 50, p99 99, max 100; errors as counted."""
    samples = Samples([float(v) for v in range(100, 0, -1)], errors=2)
    assert summarize_endpoint("POST", samples, 4.0) == EndpointRow(
        "POST", 100, 25.0, 50.0, 99.0, 100.0, 2
    )
    assert summarize_endpoint("GET", Samples(), 0.0) == EndpointRow("GET", 0, 0.0, 0.0, 0.0, 0.0, 0)


def test_batch_rates() -> None:
    """Jobs per second end to end and while submitting; 0 for no time at all."""
    batch = Batch(done=300, seconds=3.0, submit_seconds=1.5, errors=0)
    assert (batch.rate, batch.submit_rate) == (100.0, 200.0)
    assert Batch(0, 0.0, 0.0, 0).rate == Batch(0, 0.0, 0.0, 0).submit_rate == 0.0


def test_summarize_batches_takes_the_median_and_sums_errors() -> None:
    """Of 3 batches the middle one by jobs/s; of 2 the lower; errors of all."""
    batches = [Batch(100, 1.0, 0.5, 1), Batch(100, 0.5, 0.2, 0), Batch(100, 2.0, 1.0, 2)]
    assert summarize_batches(OURS, batches) == ThroughputRow(OURS, 100, 100.0, 200.0, 3)
    assert summarize_batches(OURS, batches[:2]).rate == 100.0
    with pytest.raises(ValueError, match="no batches"):
        summarize_batches(OURS, [])


# ---------------------------------------------------------------------------- tables, goals


def _cells(table: object) -> dict[str, list[str]]:
    console = Console(record=True, width=200)
    console.print(table)
    return {
        cell[0]: cell[1:]
        for line in console.export_text().splitlines()
        if line.startswith("│ ")
        for cell in [[part.strip() for part in line.strip("│ ").split("│")]]
    }


LATENCY = [
    EndpointRow(SUBMIT, 1234, 123.4, 6.5, 25.9, 31.0, 0),
    EndpointRow(STATUS, 4000, 400.0, 3.8, 7.0, 9.7, 0),
]
THROUGHPUT = [
    ThroughputRow(OURS, 1000, 420.0, 460.0, 0),
    ThroughputRow(NAIVE, 1000, 400.0, 500.0, 0),
    ThroughputRow(BARE, 1000, 1000.0, 2900, 0),
]


def test_render_latency_shows_each_endpoint() -> None:
    """Requests, req/s, p50, p99, max, errors."""
    assert _cells(render_latency(LATENCY, title="T")) == {
        SUBMIT: ["1,234", "123", "6.50", "25.90", "31.00", "0"],
        STATUS: ["4,000", "400", "3.80", "7.00", "9.70", "0"],
    }


def test_render_throughput_compares_with_the_naive_peer_and_bare_celery() -> None:
    """jobs, jobs/s, submit/s, errors, and the ratios to the naive and bare Celery rows."""
    assert _cells(render_throughput(THROUGHPUT, title="T")) == {
        OURS: ["1,000", "420", "460", "0", "1.05x", "0.42x"],
        NAIVE: ["1,000", "400", "500", "0", "1.00x", "0.40x"],
        BARE: ["1,000", "1,000", "2,900", "0", "2.50x", "1.00x"],
    }
    assert _cells(render_throughput(THROUGHPUT[:1], title="T"))[OURS][-2:] == ["—", "—"]
    zero = [ThroughputRow(BARE, 0, 0.0, 0.0, 5)]
    assert _cells(render_throughput(zero, title="T"))[BARE][-1] == "—"


def test_goal_lines_all_met() -> None:
    """p99 <= 50 ms for both, no errors, >= 1.0x the naive peer and >= 0.40x bare Celery:
    five 'met' lines."""
    lines = goal_lines(LATENCY, THROUGHPUT, users=50, busy=2, concurrency=2)
    assert lines[0] == "Goals, measured in this run (reported, not enforced):"
    assert [line.split()[0] for line in lines[1:6]] == ["met"] * 5
    assert lines[1].endswith(f"{SUBMIT} p99 <= 50 ms at 50 users: 25.90 ms")
    assert lines[4].endswith(f"1.00x {NAIVE}: 1.05x (420 vs 400 jobs/s)")
    assert lines[5].endswith(f"0.40x {BARE}: 0.42x (420 vs 1,000 jobs/s)")
    assert lines[6] == "Worker processes running a long job at the end of the load: 2 of 2."
    assert len(lines) == 7


def test_goal_lines_missed_and_warned() -> None:
    """Slow, failing, below the peers: NOT met each; throughput errors warned; no answers:
    NOT met; a missing row is said, not checked."""
    latency = [EndpointRow(SUBMIT, 10, 1.0, 40.0, 80.0, 90.0, 2), EndpointRow(STATUS, *[0] * 6)]
    throughput = [
        ThroughputRow(OURS, 90, 50.0, 60.0, 10),
        ThroughputRow(NAIVE, 100, 100.0, 1, 0),
        ThroughputRow(BARE, 100, 300.0, 1, 0),
    ]
    lines = goal_lines(latency, throughput, users=5, busy=1, concurrency=2)
    assert [line.split()[:2] for line in lines[1:6]] == [["NOT", "met"]] * 5
    assert "no errors under load: 2" in lines[3]
    assert lines[-1] == (f"Warning: 10 errors in the throughput of {OURS}: not a clean comparison.")
    assert lines[7] == "Warning: not every worker process was busy: the latency is not under load."
    no_ours = goal_lines(latency, throughput[1:], users=5, busy=2, concurrency=2)
    assert no_ours[4] == "  throughput: not checked (the run has no row for ours)"
    no_naive = goal_lines(latency, [throughput[0], throughput[2]], users=5, busy=2, concurrency=2)
    assert no_naive[4] == f"  throughput vs {NAIVE}: not checked (no row)"
    no_bare_rate = [throughput[0], ThroughputRow(BARE, 0, 0.0, 0.0, 0)]
    assert "0.00x (50 vs 0 jobs/s)" in "\n".join(
        goal_lines([], no_bare_rate, users=5, busy=1, concurrency=1)
    )


# ---------------------------------------------------------------------------- names, settings


def test_names_carry_the_token() -> None:
    """Database, queues, counter and node names of a run share its token."""
    names = Names("abc123")
    assert (names.database, names.queue, names.bare_queue, names.counter) == (
        "backbone_bench_abc123",
        "bench-abc123",
        "bench-abc123-bare",
        "bench-abc123-count",
    )
    assert names.hostname("long") == "bench-abc123-long@%h"
    assert Names.new().token != Names.new().token


def test_with_database_keeps_everything_else() -> None:
    """Only the path changes: credentials, host, port and query stay."""
    url = "postgresql://u:p@db:5433/test?sslmode=require"
    assert with_database(url, "other") == "postgresql://u:p@db:5433/other?sslmode=require"


def test_long_job_limits_rise_in_order() -> None:
    """job < soft < hard < visibility, as the report settings require."""
    limits = _long_job_limits(15)
    assert limits == {
        "BACKBONE_REPORTS_JOB_SECONDS": "15",
        "BACKBONE_REPORTS_SOFT_TIME_LIMIT": "45",
        "BACKBONE_REPORTS_TIME_LIMIT": "75",
        "BACKBONE_REPORTS_VISIBILITY_TIMEOUT": "105",
    }


def test_bench_options_refuse_nonsense() -> None:
    """Zero users, a negative pause, jobs of no length are refused."""
    with pytest.raises(ValueError, match=">= 1"):
        ReportsOptions(users=0)
    with pytest.raises(ValueError, match="think"):
        ReportsOptions(think=-1)
    with pytest.raises(ValueError, match="long_job_seconds"):
        ReportsOptions(long_job_seconds=0)


# ---------------------------------------------------------------------------- the baseline


class _FakeRedis:
    made: list[str] = []
    counts: dict[str, int] = {}

    @classmethod
    def from_url(cls, url: str) -> _FakeRedis:
        cls.made.append(url)
        return cls()

    def incr(self, key: str) -> None:
        self.counts[key] = self.counts.get(key, 0) + 1


def test_bare_celery_counts_each_run_with_one_client_per_process(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The no-op task INCRs the counter; the process's client is made once; no results kept."""
    monkeypatch.setattr(_celery.redis, "Redis", _FakeRedis)
    monkeypatch.setattr(_FakeRedis, "made", [])
    monkeypatch.setattr(_FakeRedis, "counts", {})
    celery = _celery.bare_celery(broker="redis://b/3", queue="q", counter="n")
    try:
        task = celery.tasks[_celery.NOOP]
        task()
        task()
        assert _FakeRedis.counts == {"n": 2}
        assert _FakeRedis.made == ["redis://b/3"]
        conf = celery.conf
        assert (conf.task_default_queue, conf.task_acks_late, conf.task_ignore_result) == (
            "q",
            True,
            True,
        )
        assert conf.worker_prefetch_multiplier == 1
    finally:
        celery.close()


def test_bare_celery_app_comes_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """``celery -A backbone.bench._celery:app`` finds an app built from BACKBONE_BENCH_*."""
    monkeypatch.setenv(_celery.BROKER_ENV, "redis://127.0.0.1:1/5")
    monkeypatch.setenv(_celery.QUEUE_ENV, "bench-q")
    _celery._from_environment.cache_clear()
    try:
        celery = _celery.app
        assert celery is _celery.app
        assert celery.conf.task_default_queue == "bench-q"
        assert celery.conf.broker_url == "redis://127.0.0.1:1/5"
        with pytest.raises(AttributeError, match="no attribute 'nothing'"):
            _celery.nothing  # noqa: B018
    finally:
        _celery._from_environment.cache_clear()


# ---------------------------------------------------------------------------- measuring


def _say() -> tuple[list[str], Callable[[str], None]]:
    lines: list[str] = []
    return lines, lines.append


def test_measure_latency_refuses_unless_every_process_has_a_long_job(
    monkeypatch: pytest.MonkeyPatch, api: str
) -> None:
    """Only 1 of 2 long jobs running after the wait: no measurement, a StackError."""
    worker = types.SimpleNamespace(check_running=lambda: None)
    rig = types.SimpleNamespace(worker=lambda *_: worker)
    monkeypatch.setattr(_reports, "wait_until", lambda *_, **__: Waited(1, 0.0))
    _, say = _say()
    table = types.SimpleNamespace(running=lambda: 1)
    with pytest.raises(StackError, match="only 1 of 2 long jobs started"):
        _reports.measure_latency(rig, table, api + "/ok", ReportsOptions(), say)  # type: ignore[arg-type]


def _fake_paths(ours: list[Batch], bare: list[Batch], naive: list[Batch]) -> Any:
    @contextlib.contextmanager
    def paths(*_: object, **__: object) -> Iterator[Any]:
        yield types.SimpleNamespace(
            ours=lambda _: ours.pop(0), bare=lambda _: bare.pop(0), naive=lambda _: naive.pop(0)
        )

    return paths


def test_measure_throughput_warms_up_then_takes_turns(monkeypatch: pytest.MonkeyPatch) -> None:
    """A warm-up batch each, then ours, the naive peer and bare Celery in turn; one median
    row per path."""
    ours = [Batch(20, 1, 1, 0), Batch(100, 1, 1, 0), Batch(100, 2, 1, 1)]
    naive = [Batch(20, 1, 1, 0), Batch(100, 4, 1, 0), Batch(100, 1, 1, 0)]
    bare = [Batch(20, 1, 1, 0), Batch(100, 0.5, 0.1, 0), Batch(100, 0.25, 0.1, 0)]
    monkeypatch.setattr(_reports, "job_paths", _fake_paths(ours, bare, naive))
    lines, say = _say()
    options = ReportsOptions(jobs=100, rounds=2)
    rows = _reports.measure_throughput(None, None, "http://api", options, say)  # type: ignore[arg-type]
    assert rows == [
        ThroughputRow(OURS, 100, 50.0, 100.0, 1),
        ThroughputRow(NAIVE, 100, 25.0, 100.0, 0),
        ThroughputRow(BARE, 100, 200.0, 1000.0, 0),
    ]
    assert lines[0] == (
        "warm-up: 20 jobs each through ours, naive and bare Celery (workers starting)"
    )
    assert lines[1:] == [
        f"round 1/2 {OURS}: 100 jobs/s, 0 errors",
        f"round 1/2 {NAIVE}: 25 jobs/s, 0 errors",
        f"round 1/2 {BARE}: 200 jobs/s, 0 errors",
        f"round 2/2 {OURS}: 50 jobs/s, 1 errors",
        f"round 2/2 {NAIVE}: 100 jobs/s, 0 errors",
        f"round 2/2 {BARE}: 400 jobs/s, 0 errors",
    ]


def test_measure_throughput_refuses_a_lossy_warm_up(monkeypatch: pytest.MonkeyPatch) -> None:
    """A job lost in the warm-up (a worker that never came up): no rounds, a StackError."""
    ours, bare, naive = [Batch(4, 1, 1, 1)], [Batch(5, 1, 1, 0)], [Batch(5, 1, 1, 0)]
    monkeypatch.setattr(_reports, "job_paths", _fake_paths(ours, bare, naive))
    _, say = _say()
    with pytest.raises(StackError, match="the warm-up lost 1 of 5 jobs"):
        _reports.measure_throughput(None, None, "", ReportsOptions(jobs=5), say)  # type: ignore[arg-type]


# ---------------------------------------------------------------------------- the command


def _results() -> Any:
    return _reports._Results(LATENCY, THROUGHPUT, 2)


def _consoles() -> tuple[Console, Console]:
    return Console(record=True, width=200), Console(record=True, width=200)


def test_bench_reports_prints_preamble_tables_and_goals(monkeypatch: pytest.MonkeyPatch) -> None:
    """A run that measured: exit 0, the load described, both tables, the goals."""
    monkeypatch.setattr(_reports, "_run", lambda options, guard, say: _results())
    out, err = _consoles()
    assert _reports.bench_reports(ReportsOptions(think=0), out=out, err=err) == 0
    text = out.export_text()
    assert "50 users, each submitting a job and reading its status 3 times" in text
    assert "(no pause)" in text
    assert "Report API under load: 50 users, 10 s after 2 s warm-up" in text
    assert "Zero-duration jobs end to end: 1,000 per round, median of 3 rounds" in text
    assert "Goals, measured in this run" in text
    assert "a 1 s pause after each answer" in "\n".join(_reports._preamble(ReportsOptions()))


@pytest.mark.parametrize(
    ("error", "code", "message"),
    [
        (StopRequested(2), 130, "stopped by SIGINT; every child process stopped"),
        (RuntimeError("worker-long exited with 1"), 1, "worker-long exited with 1"),
    ],
)
def test_bench_reports_reports_failure(
    monkeypatch: pytest.MonkeyPatch, error: Exception, code: int, message: str
) -> None:
    """Ctrl-C: 130; a child that died or a store that failed: 1; no table either way."""

    def fail(*_: object) -> None:
        raise error

    monkeypatch.setattr(_reports, "_run", fail)
    out, err = _consoles()
    assert _reports.bench_reports(ReportsOptions(), out=out, err=err) == code
    assert message in err.export_text()
    assert "Goals" not in out.export_text()


def test_cli_passes_the_options(monkeypatch: pytest.MonkeyPatch) -> None:
    """`bench reports` hands its options to the benchmark and exits with its code."""
    seen: list[ReportsOptions] = []
    monkeypatch.setattr(
        "backbone.bench.bench_reports",
        lambda options, **_: seen.append(options) or 0,
    )
    argv = ["bench", "reports", "--users", "5", "--duration", "2", "--warmup", "0"]
    argv += ["--think", "0", "--long-job-seconds", "3", "--jobs", "40", "--rounds", "1"]
    result = CliRunner().invoke(app, [*argv, "--concurrency", "3"])
    assert result.exit_code == 0, result.output
    assert seen == [ReportsOptions(5, 2, 0, 0.0, 3.0, 40, 1, 3)]
    assert CliRunner().invoke(app, ["bench", "reports"]).exit_code == 0
    assert seen[-1] == ReportsOptions()
    assert CliRunner().invoke(app, ["bench", "reports", "--users", "0"]).exit_code == 2
