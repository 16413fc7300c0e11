"""The ``backbone`` command line: ``up``, ``serve NAME``, ``bench ...``."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer
from rich.text import Text

from backbone.cli._assistant import assistant_app
from backbone.cli._bench import bench_app
from backbone.cli._bot import bot_app
from backbone.cli._console import err_console as _err
from backbone.cli._console import out_console as _out
from backbone.cli._reports import reports_app
from backbone.cli._review import review_app

__all__ = ["app", "main"]

app = typer.Typer(
    name="backbone",
    help="Run the backbone services: the whole stack (up) or one service (serve).",
    no_args_is_help=True,
    add_completion=False,
)
app.add_typer(bench_app, name="bench")
app.add_typer(reports_app, name="reports")
app.add_typer(assistant_app, name="assistant")
app.add_typer(review_app, name="review")
app.add_typer(bot_app, name="bot")


@app.command()
def up(
    host: Annotated[
        str, typer.Option(envvar="BACKBONE_HOST", help="Address the services bind to.")
    ] = "127.0.0.1",
    data_dir: Annotated[
        Path,
        typer.Option(
            envvar="BACKBONE_DATA_DIR",
            help="Where embedded Redis / PostgreSQL keep data, and logs.",
        ),
    ] = Path(".backbone"),
    only: Annotated[
        list[str] | None,
        typer.Option(
            help="Start only these (services or redis / postgres) and what they need; repeatable."
        ),
    ] = None,
    port_offset: Annotated[
        int,
        typer.Option(
            envvar="BACKBONE_PORT_OFFSET",
            help="Added to every default port (BACKBONE_<NAME>_PORT wins).",
        ),
    ] = 0,
    ready_timeout: Annotated[
        float, typer.Option(min=1, help="Seconds each service gets to become ready.")
    ] = 60.0,
    grace: Annotated[
        float, typer.Option(min=0, help="Seconds each process gets to stop before SIGKILL.")
    ] = 10.0,
) -> None:
    """Start Redis, PostgreSQL (embedded unless REDIS_URL / DATABASE_URL), migrations, services."""
    from backbone.cli._services import UnknownNameError, resolve
    from backbone.cli._up import UpOptions, run_up

    names = tuple(n.strip() for item in only or () for n in item.split(",") if n.strip())
    try:
        resolve(names or None)
    except UnknownNameError as exc:
        raise typer.BadParameter(str(exc), param_hint="--only") from None
    options = UpOptions(
        host=host,
        data_dir=data_dir,
        only=names,
        port_offset=port_offset,
        ready_timeout=ready_timeout,
        grace=grace,
    )
    raise typer.Exit(run_up(options, out=_out(), err=_err()))


@app.command()
def serve(
    name: Annotated[str, typer.Argument(help="The service, e.g. flaky.")],
    host: Annotated[
        str, typer.Option(envvar="BACKBONE_HOST", help="Address to bind.")
    ] = "127.0.0.1",
    port: Annotated[
        int | None, typer.Option(help="Port (default: BACKBONE_<NAME>_PORT, else the service's).")
    ] = None,
    log_level: Annotated[
        str | None, typer.Option(help="Log level (default: LOG_LEVEL, else INFO).")
    ] = None,
    log_format: Annotated[
        str | None, typer.Option(help="console or json (default: LOG_FORMAT, else console).")
    ] = None,
) -> None:
    """Run one HTTP service in the foreground (SIGINT / SIGTERM stop it gracefully)."""
    from backbone.cli._serve import UnknownServiceError
    from backbone.cli._serve import serve as run_serve

    err = _err()
    try:
        code = run_serve(
            name, host=host, port=port, log_level=log_level, log_format=log_format, err=err
        )
    except UnknownServiceError as exc:
        err.print(Text(f"backbone serve: {exc}", style="bold red"))
        raise typer.Exit(2) from None
    raise typer.Exit(code)


@app.command()
def migrate() -> None:
    """Upgrade the database at DATABASE_URL to the newest schema (docker compose runs this)."""
    from backbone.cli._services import migration_locations
    from backbone.core import db
    from backbone.core.config import CoreSettings

    settings = CoreSettings()
    if settings.database_url is None:
        _err().print(Text("backbone migrate: set DATABASE_URL first", style="bold red"))
        raise typer.Exit(1)
    db.migrate(settings.database_url.get_secret_value(), locations=migration_locations())
    _out().print("database migrated to the newest revision")


class WorkerKind(StrEnum):
    """The job kinds a worker can run."""

    REPORTS = "reports"
    ASSISTANT = "assistant"
    REVIEW = "review"


@app.command()
def worker(
    kind: Annotated[
        WorkerKind,
        typer.Argument(
            help="Which jobs: report jobs, the assistant's agent tasks, or code reviews."
        ),
    ] = WorkerKind.REPORTS,
    concurrency: Annotated[
        int,
        typer.Option(
            min=1, envvar="BACKBONE_REPORTS_CONCURRENCY", help="Worker processes (prefork)."
        ),
    ] = 2,
    hostname: Annotated[
        str | None,
        typer.Option(help="Celery node name, unique per worker (default: KIND@%h, this host)."),
    ] = None,
    events: Annotated[
        bool, typer.Option("--events", help="Send task events (Flower's task views need them).")
    ] = False,
) -> None:
    """Run a job worker (Celery) on its kind's queue until SIGTERM / SIGINT.

    Prefork, one job per process (prefetch 1, -O fair); no gossip, mingle, heartbeat.
    SIGTERM or Ctrl-C: running jobs finish first (warm shutdown).
    Needs REDIS_URL and DATABASE_URL; the log level is LOG_LEVEL's.

    Flower, against the same broker (http://localhost:5555; task views need --events):
    pip install flower && celery -A backbone.reports.worker flower
    """
    from backbone.cli._worker import run_worker

    code = run_worker(
        kind=kind.value,
        concurrency=concurrency,
        hostname=hostname or f"{kind.value}@%h",
        events=events,
        err=_err(),
    )
    raise typer.Exit(code)


def main() -> None:
    """The console script's entry point."""
    app()
