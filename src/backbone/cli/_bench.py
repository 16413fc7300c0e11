"""``backbone bench NAME``: the benchmarks' command line (the work is in backbone.bench)."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from pathlib import Path
from typing import Annotated

import typer
from rich.text import Text

from backbone.cli._console import err_console as _err
from backbone.cli._console import out_console as _out

__all__ = ["bench_app"]

bench_app = typer.Typer(help="Benchmarks against running services.", no_args_is_help=True)


@contextlib.contextmanager
def _bench_extra() -> Iterator[None]:
    """Around importing a benchmark: a library of the bench extra missing is a one-line error."""
    try:
        yield
    except ModuleNotFoundError as exc:
        if exc.name is None or exc.name.partition(".")[0] == "backbone":
            raise
        message = f"backbone bench: needs the bench extra (no module named {exc.name!r}): "
        _err().print(Text(message + "pip install 'backbone[bench]'", style="bold red"))
        raise typer.Exit(1) from None


@bench_app.command("client")
def bench_client(
    requests: Annotated[int, typer.Option(min=1, help="Requests per round.")] = 5000,
    rounds: Annotated[int, typer.Option(min=1, help="Rounds.")] = 5,
) -> None:
    """Benchmark ResilientClient against the flaky service."""
    with _bench_extra():
        from backbone.bench import bench_client as run_bench

    run_bench(requests=requests, rounds=rounds)


@bench_app.command("gateway")
def bench_gateway(
    duration: Annotated[int, typer.Option(min=1, help="Seconds of load per round.")] = 8,
    connections: Annotated[int, typer.Option(min=1, help="Concurrent connections.")] = 64,
    rounds: Annotated[int, typer.Option(min=1, help="Rounds per target (median shown).")] = 3,
    warmup: Annotated[
        int, typer.Option(min=0, help="Seconds of unmeasured load per target first.")
    ] = 2,
) -> None:
    """Throughput, latency and CPU of the gateway vs the User Service direct (and nginx)."""
    with _bench_extra():
        from backbone.bench import GatewayOptions
        from backbone.bench import bench_gateway as run_bench

    options = GatewayOptions(
        duration=duration, connections=connections, rounds=rounds, warmup=warmup
    )
    raise typer.Exit(run_bench(options, out=_out(), err=_err()))


@bench_app.command("reports")
def bench_reports(
    users: Annotated[int, typer.Option(min=1, help="Concurrent users in the latency part.")] = 50,
    duration: Annotated[int, typer.Option(min=1, help="Seconds of measured load.")] = 10,
    warmup: Annotated[int, typer.Option(min=0, help="Seconds of unmeasured load first.")] = 2,
    think: Annotated[
        float, typer.Option(min=0, help="Seconds each user pauses after an answer (0: none).")
    ] = 1.0,
    long_job_seconds: Annotated[
        float, typer.Option(min=0.1, max=3600, help="How long the jobs of the busy worker take.")
    ] = 15.0,
    jobs: Annotated[
        int, typer.Option(min=1, help="Zero-duration jobs per throughput round.")
    ] = 1000,
    rounds: Annotated[
        int, typer.Option(min=1, help="Throughput rounds, ours and bare Celery in turn.")
    ] = 3,
    concurrency: Annotated[int, typer.Option(min=1, help="Processes of each worker.")] = 2,
) -> None:
    """Latency of the report API under load, and its job throughput vs bare Celery."""
    with _bench_extra():
        from backbone.bench import ReportsOptions
        from backbone.bench import bench_reports as run_bench

    options = ReportsOptions(
        users=users,
        duration=duration,
        warmup=warmup,
        think=think,
        long_job_seconds=long_job_seconds,
        jobs=jobs,
        rounds=rounds,
        concurrency=concurrency,
    )
    raise typer.Exit(run_bench(options, out=_out(), err=_err()))


@bench_app.command("assistant")
def bench_assistant(
    users: Annotated[int, typer.Option(min=1, help="Concurrent users in the latency part.")] = 50,
    seconds: Annotated[int, typer.Option(min=1, help="Seconds of measured load.")] = 10,
    warmup: Annotated[int, typer.Option(min=0, help="Seconds of unmeasured load first.")] = 2,
    think: Annotated[
        float, typer.Option(min=0, help="Seconds each user pauses after an answer (0: none).")
    ] = 1.0,
    tasks: Annotated[
        int, typer.Option(min=1, help="Analyses timed end to end, ours and the bare crew's.")
    ] = 100,
    workers: Annotated[int, typer.Option(min=1, help="Processes of the assistant worker.")] = 2,
) -> None:
    """Latency of the assistant API under load, and its analyses/s vs the bare crew."""
    with _bench_extra():
        from backbone.bench import AssistantOptions
        from backbone.bench import bench_assistant as run_bench

    options = AssistantOptions(
        users=users, seconds=seconds, warmup=warmup, think=think, tasks=tasks, workers=workers
    )
    raise typer.Exit(run_bench(options, out=_out(), err=_err()))


@bench_app.command("review")
def bench_review(
    deliveries_users: Annotated[
        int, typer.Option(min=1, help="Clients sending signed webhook deliveries at once.")
    ] = 50,
    seconds: Annotated[int, typer.Option(min=1, help="Seconds of measured load.")] = 10,
    warmup: Annotated[int, typer.Option(min=0, help="Seconds of unmeasured load first.")] = 2,
    pulls: Annotated[
        int, typer.Option(min=1, help="20-file pull requests reviewed, ours and bare.")
    ] = 100,
    workers: Annotated[int, typer.Option(min=1, help="Processes of the review worker.")] = 2,
) -> None:
    """Webhook acknowledgement under load (0 lost), and reviews/min vs the bare review."""
    with _bench_extra():
        from backbone.bench import ReviewOptions
        from backbone.bench import bench_review as run_bench

    options = ReviewOptions(
        users=deliveries_users, seconds=seconds, warmup=warmup, pulls=pulls, workers=workers
    )
    raise typer.Exit(run_bench(options, out=_out(), err=_err()))


@bench_app.command("community")
def bench_community(
    messages: Annotated[
        int, typer.Option(min=1, help="Messages through the lead detector.")
    ] = 20_000,
    lead_share: Annotated[
        float, typer.Option(min=0.0, max=1.0, help="Share of the messages that are leads.")
    ] = 0.1,
    concurrency: Annotated[
        int, typer.Option(min=1, help="Messages handled at once (the bot's pool size).")
    ] = 10,
    summary_messages: Annotated[
        int, typer.Option(min=1, help="Messages in the day the summary reads.")
    ] = 5_000,
    rounds: Annotated[int, typer.Option(min=1, help="Timed rounds of the summary.")] = 3,
) -> None:
    """Lead detector messages/s with its CRM write, and the day's summary on `local`."""
    with _bench_extra():
        from backbone.bench import CommunityOptions
        from backbone.bench import bench_community as run_bench

    options = CommunityOptions(
        messages=messages,
        lead_share=lead_share,
        concurrency=concurrency,
        summary_messages=summary_messages,
        rounds=rounds,
    )
    raise typer.Exit(run_bench(options, out=_out(), err=_err()))


@bench_app.command("locust")
def bench_locust(
    out: Annotated[Path, typer.Option(help="Folder for Locust's HTML and CSV reports.")] = Path(
        "bench-results/locust"
    ),
    users: Annotated[int, typer.Option(min=1, help="Locust users on the assistant.")] = 20,
    spawn_rate: Annotated[float, typer.Option(min=0.1, help="Users started per second.")] = 5.0,
    seconds: Annotated[int, typer.Option(min=1, help="Seconds of load on the assistant.")] = 60,
    gateway_seconds: Annotated[
        int, typer.Option(min=0, help="Seconds of load on the gateway (0: not run).")
    ] = 15,
    gateway_users: Annotated[int, typer.Option(min=1, help="Locust users on the gateway.")] = 16,
    workers: Annotated[int, typer.Option(min=1, help="Processes of the assistant worker.")] = 2,
    locustfiles: Annotated[
        Path, typer.Option(help="Where locustfile_assistant.py and locustfile_gateway.py are.")
    ] = Path("tests/load"),
) -> None:
    """The Locust scenarios (assistant, gateway) on a stack of their own; HTML reports."""
    with _bench_extra():
        from backbone.bench import LocustOptions
        from backbone.bench import bench_locust as run_bench

    options = LocustOptions(
        out=out,
        users=users,
        spawn_rate=spawn_rate,
        seconds=seconds,
        gateway_seconds=gateway_seconds,
        gateway_users=gateway_users,
        workers=workers,
        locustfiles=locustfiles,
    )
    raise typer.Exit(run_bench(options, out=_out(), err=_err()))


@bench_app.command("all")
def bench_all(
    out: Annotated[
        Path, typer.Option(help="Results go to OUT/<UTC time>/; OUT/latest points there.")
    ] = Path("bench-results"),
    only: Annotated[
        list[str] | None,
        typer.Option(help="Run only these (client, gateway, reports, assistant, review, locust)."),
    ] = None,
    seconds: Annotated[
        int,
        typer.Option(
            min=1, help="Seconds of each measured load: gateway, reports, assistant, review."
        ),
    ] = 10,
    locust_seconds: Annotated[int, typer.Option(min=1, help="Seconds of the Locust run.")] = 60,
    locust_users: Annotated[int, typer.Option(min=1, help="Locust users on the assistant.")] = 20,
    locustfiles: Annotated[Path, typer.Option(help="Where the locustfiles are.")] = Path(
        "tests/load"
    ),
) -> None:
    """Every benchmark, one after the other; tables and Locust's reports in one folder."""
    with _bench_extra():
        from backbone.bench import BENCHMARKS, AllOptions
        from backbone.bench import bench_all as run_bench

    try:
        options = AllOptions(
            out=out,
            only=tuple(only or BENCHMARKS),
            seconds=seconds,
            locust_seconds=locust_seconds,
            locust_users=locust_users,
            locustfiles=locustfiles,
        )
    except ValueError as exc:
        raise typer.BadParameter(str(exc), param_hint="--only") from None
    raise typer.Exit(run_bench(options, out=_out(), err=_err()))
