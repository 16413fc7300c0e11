"""``backbone bench gateway``: wrk parsing, the rounds, the table and the goals (no servers)."""

from __future__ import annotations

import http.server
import os
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest
from rich.console import Console
from typer.testing import CliRunner

from backbone.bench._gateway import (
    GatewayOptions,
    LoadResult,
    RoundResult,
    TargetRow,
    choose_generator,
    goal_lines,
    measure,
    parse_wrk,
    render,
    summarize,
)
from backbone.bench._load import aiohttp_generator, percentile, wrk_generator
from backbone.bench._stack import Stack, Target, cpu_seconds, nginx_config, user_directive
from backbone.cli import app
from tests import _local as local

# Captured from `wrk -t1 -c64 -d3s --latency` against the gateway on a 2-core machine.
WRK_OUTPUT = """\
Running 3s test @ http://127.0.0.1:41989/users/123
  1 threads and 64 connections
  Thread Stats   Avg      Stdev     Max   +/- Stdev
    Latency    29.86ms   22.99ms 120.69ms   87.06%
    Req/Sec     2.50k     0.99k    3.65k    70.00%
  Latency Distribution
     50%   20.12ms
     75%   25.67ms
     90%   72.90ms
     99%  104.47ms
  7455 requests in 3.01s, 2.50MB read
Requests/sec:   2478.50
Transfer/sec:    851.98KB
"""

WRK_WITH_ERRORS = """\
Running 1s test @ http://127.0.0.1:41903/users/nope
  1 threads and 8 connections
  Latency Distribution
     50%  812.00us
     75%    2.69ms
     90%    3.45ms
     99%    1.20s
  3445 requests in 1.10s, 1.70MB read
  Socket errors: connect 1, read 2, write 0, timeout 4
  Non-2xx or 3xx responses: 10
Requests/sec:   3128.90
Transfer/sec:      1.54MB
"""


def _row(target: str, rps: float, p99: float, cpu: float | None, errors: int = 0) -> TargetRow:
    return TargetRow(target, rps, p99 / 2, p99, errors, cpu, 350.0)


def _round(rps: float, errors: int = 0, proxy: float | None = 200.0) -> RoundResult:
    return RoundResult(LoadResult(int(rps), 1.0, rps, 1.0, 2.0, errors), proxy, 300.0)


def test_parse_wrk_reads_a_captured_report() -> None:
    """Requests, duration, req/s and the p50 / p99 of a real wrk report; no errors lines."""
    assert parse_wrk(WRK_OUTPUT) == LoadResult(
        requests=7455, seconds=3.01, rps=2478.50, p50_ms=20.12, p99_ms=104.47, errors=0
    )


def test_parse_wrk_counts_non_2xx_and_socket_errors_and_converts_units() -> None:
    """Errors add Non-2xx and every socket error; us and s latencies come out in ms."""
    result = parse_wrk(WRK_WITH_ERRORS)
    assert result.errors == 10 + 1 + 2 + 4
    assert result.p50_ms == pytest.approx(0.812)
    assert result.p99_ms == pytest.approx(1200.0)


def test_parse_wrk_refuses_a_report_without_percentiles() -> None:
    """Output of wrk run without --latency is an error, not zeros."""
    without = "\n".join(line for line in WRK_OUTPUT.splitlines() if "%  " not in line)
    with pytest.raises(ValueError, match="50% latency"):
        parse_wrk(without)


def test_percentile_is_nearest_rank() -> None:
    """p50 and p99 of 1..100 are 50 and 99; an empty list gives 0."""
    values = [float(v) for v in range(100, 0, -1)]
    assert (percentile(values, 0.5), percentile(values, 0.99)) == (50.0, 99.0)
    assert percentile([], 0.5) == 0.0


def test_wrk_generator_runs_wrk_and_reports_failure(tmp_path: Path) -> None:
    """The wrk arguments are -t1 -cN -dSs --latency URL; a non-zero exit is a RuntimeError."""
    fake = tmp_path / "wrk"
    fake.write_text(f'#!/bin/sh\necho "$@" > {tmp_path}/args\ncat <<"EOF"\n{WRK_OUTPUT}EOF\n')
    fake.chmod(fake.stat().st_mode | stat.S_IXUSR)
    assert wrk_generator(str(fake))("http://h/users/123", 64, 8).requests == 7455
    assert (tmp_path / "args").read_text().split() == [
        "-t1",
        "-c64",
        "-d8s",
        "--latency",
        "http://h/users/123",
    ]
    fake.write_text("#!/bin/sh\necho unable to connect >&2\nexit 1\n")
    with pytest.raises(RuntimeError, match="unable to connect"):
        wrk_generator(str(fake))("http://h/", 1, 1)


class _Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def do_GET(self) -> None:
        status = 500 if self.path == "/fail" else 200
        self.send_response(status)
        self.send_header("Content-Length", "2")
        self.end_headers()
        self.wfile.write(b"ok")

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def http_server() -> Iterator[str]:
    """A threaded HTTP/1.1 server on a free port: 500 on /fail, 200 elsewhere."""
    with local.http_server(_Handler) as url:
        yield url


def test_aiohttp_generator_measures_and_counts_status_errors(http_server: str) -> None:
    """The built-in generator answers requests and latencies; a 500 counts as an error."""
    ok = aiohttp_generator(http_server + "/ok", 4, 1)
    assert ok.requests > 0
    assert ok.errors == 0
    assert 0 < ok.p50_ms <= ok.p99_ms
    assert ok.rps == pytest.approx(ok.requests / ok.seconds)
    failing = aiohttp_generator(http_server + "/fail", 2, 1)
    assert failing.errors == failing.requests > 0


def test_summarize_takes_the_median_round_and_sums_errors() -> None:
    """Of 3 rounds the middle one by req/s; of 2 the lower; errors of all rounds count."""
    row = summarize("gateway", [_round(300, 1), _round(100, 2), _round(200, 0, proxy=111.0)])
    assert (row.rps, row.errors, row.proxy_cpu_us) == (200, 3, 111.0)
    assert summarize("gateway", [_round(300), _round(100)]).rps == 100
    with pytest.raises(ValueError, match="no rounds"):
        summarize("gateway", [])


def _text(table: object) -> str:
    console = Console(record=True, width=200)
    console.print(table)
    return console.export_text()


def test_render_shows_every_row_with_ratios_against_direct() -> None:
    """One line per target; direct has no proxy CPU; req/s and p99 ratios against direct."""
    rows = [
        _row("direct", 2700, 20.0, None),
        _row("gateway", 1890, 50.0, 262.4),
        _row("nginx", 2600, 22.0, 31.0),
    ]
    lines = _text(render(rows, title="T")).splitlines()
    header = next(line for line in lines if "target" in line)
    for column in ("req/s", "p50 ms", "p99 ms", "errors", "proxy CPU µs/req", "vs direct"):
        assert column in header
    cells = {
        cell[0]: cell[1:]
        for line in lines
        if line.startswith("│ ")
        for cell in [[part.strip() for part in line.strip("│ ").split("│")]]
    }
    assert cells["direct"] == ["2,700", "10.00", "20.00", "0", "—", "350", "1.00x", "1.00x"]
    assert cells["gateway"] == ["1,890", "25.00", "50.00", "0", "262", "350", "0.70x", "2.50x"]
    assert cells["nginx"][-2:] == ["0.96x", "1.10x"]


def test_goal_lines_all_met() -> None:
    """>= 50 % of direct req/s, <= 500 µs CPU, p99 <= 3x: three 'met' lines, an nginx line."""
    rows = [
        _row("direct", 2700, 20.0, None),
        _row("gateway", 1890, 50.0, 262.0),
        _row("nginx", 2700, 20.0, 26.2),
    ]
    lines = goal_lines(rows)
    assert lines[0].startswith("Goals for the gateway")
    assert [line.split()[0] for line in lines[1:4]] == ["met", "met", "met"]
    assert "70%" in lines[1]
    assert "262 µs" in lines[2]
    assert "2.50x" in lines[3]
    assert lines[4] == (
        "Against nginx (reference, 1 worker): the gateway reaches 70% of its req/s "
        "and 10.0x its CPU per request."
    )


def test_goal_lines_not_met_and_errors_warned() -> None:
    """Each goal missed says NOT met; a CPU never measured is not met; errors are warned."""
    rows = [_row("direct", 2700, 20.0, None), _row("gateway", 1000, 70.0, 600.0, errors=3)]
    lines = goal_lines(rows)
    assert [line.split()[:2] for line in lines[1:4]] == [["NOT", "met"]] * 3
    assert lines[-1] == "Warning: 3 errors against gateway: not a clean comparison."
    unmeasured = [_row("direct", 2700, 20.0, None), _row("gateway", 2000, 20.0, None)]
    assert goal_lines(unmeasured)[2].split()[:2] == ["NOT", "met"]
    assert goal_lines(rows[:1]) == ["Goals: not checked (the run has no direct and gateway rows)."]


def test_measure_warms_up_then_alternates_targets_each_round() -> None:
    """Warm-up once per target, then every round visits every target in order."""
    calls: list[tuple[str, int]] = []

    def generate(url: str, connections: int, duration: int) -> LoadResult:
        calls.append((url, duration))
        return LoadResult(1000, 1.0, 1000.0, 1.0, 2.0, 0)

    stack = Stack(
        service_pid=os.getpid(),
        targets=[Target("direct", "http://d", None), Target("gateway", "http://g", os.getpid())],
    )
    rows = measure(stack, generate, GatewayOptions(duration=3, rounds=2, warmup=1), lambda _: None)
    assert (
        calls
        == [("http://d/users/123", 1), ("http://g/users/123", 1)]
        + [
            ("http://d/users/123", 3),
            ("http://g/users/123", 3),
        ]
        * 2
    )
    assert [row.target for row in rows] == ["direct", "gateway"]
    assert rows[0].proxy_cpu_us is None
    assert rows[1].proxy_cpu_us is not None
    assert rows[1].proxy_cpu_us >= 0


def test_cpu_seconds_of_this_process_grows() -> None:
    """User + system time of a live process, children included, never goes down."""
    before = cpu_seconds(os.getpid())
    sum(i * i for i in range(200_000))
    assert cpu_seconds(os.getpid()) >= before > 0


def test_nginx_config_has_keepalive_one_worker_and_files_in_prefix(tmp_path: Path) -> None:
    """Foreground, one worker, no access log, upstream keepalive with HTTP/1.1 and no Connection."""
    conf = nginx_config(
        prefix=tmp_path, listen=8080, upstream=9001, keepalive=64, user="user root root;"
    )
    for directive in (
        "daemon off;",
        "worker_processes 1;",
        "user root root;",
        f"pid {tmp_path}/nginx.pid;",
        f"error_log {tmp_path}/error.log warn;",
        "access_log off;",
        "upstream users { server 127.0.0.1:9001; keepalive 64; }",
        "listen 127.0.0.1:8080;",
        "proxy_http_version 1.1;",
        'proxy_set_header Connection "";',
    ):
        assert directive in conf


def test_user_directive_only_for_root() -> None:
    """Root names itself (else nginx switches to nobody); anyone else gets no directive."""
    assert user_directive(0, 0) == "user root root;"
    assert user_directive(1000, 1000) == ""


def test_choose_generator_prefers_wrk() -> None:
    """wrk when on PATH, named with its path; else the built-in generator, saying why."""
    assert choose_generator(lambda _: "/usr/bin/wrk")[1] == "wrk -t1 (/usr/bin/wrk)"
    generate, name = choose_generator(lambda _: None)
    assert generate is aiohttp_generator
    assert name == "built-in asyncio + aiohttp (wrk not on PATH)"


def test_bench_options_refuse_nonsense() -> None:
    """Zero rounds or a negative warm-up are refused."""
    with pytest.raises(ValueError, match=">= 1"):
        GatewayOptions(rounds=0)
    with pytest.raises(ValueError, match="warmup"):
        GatewayOptions(warmup=-1)


def test_cli_passes_the_options(monkeypatch: pytest.MonkeyPatch) -> None:
    """`bench gateway` hands its options to the benchmark and exits with its code."""
    seen: list[GatewayOptions] = []
    monkeypatch.setattr(
        "backbone.bench.bench_gateway",
        lambda options, **_: seen.append(options) or 0,
    )
    result = CliRunner().invoke(
        app, ["bench", "gateway", "--duration", "1", "--rounds", "1", "--warmup", "0"]
    )
    assert result.exit_code == 0, result.output
    assert seen == [GatewayOptions(duration=1, connections=64, rounds=1, warmup=0)]
    assert CliRunner().invoke(app, ["bench", "gateway", "--connections", "0"]).exit_code == 2
