"""``backbone reports submit`` and ``backbone reports wait``: the report API, for people.

``submit`` prints the job id (first line, for scripts) and its status URL. ``wait``
follows the job's status with a progress bar and exits 0 when it is complete, 1 when
it failed or was cancelled (with the reason), or when the job or the API cannot be
found; a few consecutive connection errors or 5xx answers (the API restarting) are
waited out. The HTTP client is made by :class:`ReportsClient`; tests pass their own
transport and a ``sleep`` that does not sleep, through the typer context's ``obj``.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Annotated, Any

import httpx
import typer
from rich.console import Console
from rich.progress import BarColumn, Progress, TaskProgressColumn, TextColumn, TimeElapsedColumn
from rich.text import Text

__all__ = ["ApiError", "ReportsClient", "follow", "reports_app", "submit"]

DEFAULT_URL = "http://127.0.0.1:8001"
FINAL = frozenset({"complete", "failed", "cancelled"})
TRANSIENT_STATUSES = frozenset({502, 503, 504})
MAX_TRANSIENT = 10
"""Consecutive unreachable / 5xx polls ``wait`` tolerates before giving up."""

reports_app = typer.Typer(
    help="Submit report jobs and follow them (the report API).", no_args_is_help=True
)

Url = Annotated[str, typer.Option(envvar="BACKBONE_REPORTS_URL", help="The report API's base URL.")]


class ApiError(Exception):
    """The API refused, or could not be reached; the message says why."""


@dataclass
class ReportsClient:
    """How the commands reach the API (tests replace the transport and the sleep)."""

    transport: httpx.BaseTransport | None = None
    sleep: Callable[[float], None] = time.sleep
    timeout: float = 10.0
    console: Console = field(default_factory=lambda: Console(markup=False, soft_wrap=True))

    def client(self, url: str) -> httpx.Client:
        """An HTTP client of the API at ``url``."""
        return httpx.Client(base_url=url, transport=self.transport, timeout=self.timeout)


def _reason(response: httpx.Response) -> str:
    """``STATUS: detail`` of an error answer (problem+json or not)."""
    try:
        detail = response.json().get("detail")
    except ValueError:
        detail = None
    return f"{response.status_code} {response.reason_phrase}: {detail or response.text[:200]}"


def submit(client: httpx.Client, *, title: str | None) -> tuple[str, str]:
    """Submit a job; its id and absolute status URL (:class:`ApiError` if refused)."""
    try:
        if title is None:
            response = client.post("/generate-report")
        else:
            response = client.post("/generate-report", json={"title": title})
    except httpx.TransportError as exc:
        raise ApiError(f"cannot reach the report API at {client.base_url}: {exc}") from exc
    if response.status_code != 202:
        retry = response.headers.get("retry-after")
        hint = f" (retry after {retry} s)" if retry else ""
        raise ApiError(f"the job was not accepted: {_reason(response)}{hint}")
    job_id = str(response.json()["job_id"])
    return job_id, str(client.base_url.join(response.headers["location"]))


def _poll(client: httpx.Client, job_id: str) -> dict[str, Any] | None:
    """The job's status, or None for a transient failure worth waiting out."""
    try:
        response = client.get(f"/reports/{job_id}/status")
    except httpx.TransportError:
        return None
    if response.status_code in TRANSIENT_STATUSES:
        return None
    if response.status_code != 200:
        raise ApiError(f"cannot follow job {job_id}: {_reason(response)}")
    status: dict[str, Any] = response.json()
    return status


def follow(
    client: httpx.Client,
    job_id: str,
    *,
    interval: float,
    on_status: Callable[[dict[str, Any]], None],
    sleep: Callable[[float], None] = time.sleep,
) -> dict[str, Any]:
    """Poll the job's status every ``interval`` seconds until it is final; that status."""
    transient = 0
    while True:
        status = _poll(client, job_id)
        if status is None:
            transient += 1
            if transient > MAX_TRANSIENT:
                raise ApiError(f"the report API at {client.base_url} stopped answering")
        else:
            transient = 0
            on_status(status)
            if status["status"] in FINAL:
                return status
        sleep(interval)


def _context(ctx: typer.Context) -> ReportsClient:
    return ctx.obj if isinstance(ctx.obj, ReportsClient) else ReportsClient()


def _fail(message: str) -> typer.Exit:
    Console(stderr=True, markup=False, soft_wrap=True).print(
        Text(f"backbone reports: {message}", style="bold red")
    )
    return typer.Exit(1)


@reports_app.command("submit")
def submit_command(
    ctx: typer.Context,
    title: Annotated[str | None, typer.Option(help="The report's title.")] = None,
    url: Url = DEFAULT_URL,
) -> None:
    """Submit a report job: prints its id, then its status URL."""
    deps = _context(ctx)
    with deps.client(url) as client:
        try:
            job_id, status_url = submit(client, title=title)
        except ApiError as exc:
            raise _fail(str(exc)) from None
    deps.console.print(job_id)
    deps.console.print(f"status: {status_url}")


def _progress(console: Console) -> Progress:
    return Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        TaskProgressColumn(),
        TimeElapsedColumn(),
        console=console,
    )


@reports_app.command("wait")
def wait_command(
    ctx: typer.Context,
    job_id: Annotated[str, typer.Argument(help="The job id that submit printed.")],
    url: Url = DEFAULT_URL,
    interval: Annotated[float, typer.Option(min=0.05, help="Seconds between polls.")] = 0.5,
) -> None:
    """Follow a job with a progress bar: exit 0 when complete, 1 when failed or cancelled."""
    try:
        job_id = str(uuid.UUID(job_id))
    except ValueError:
        raise typer.BadParameter("not a job id (a UUID)", param_hint="JOB_ID") from None
    deps = _context(ctx)
    with deps.client(url) as client, _progress(deps.console) as progress:
        task = progress.add_task(f"job {job_id[:8]}", total=100)

        def show(status: dict[str, Any]) -> None:
            label = f"job {job_id[:8]} {status['status']}"
            progress.update(task, completed=status["progress"], description=label)

        try:
            final = follow(client, job_id, interval=interval, on_status=show, sleep=deps.sleep)
        except ApiError as exc:
            raise _fail(str(exc)) from None
    if final["status"] != "complete":
        raise _fail(f"job {job_id} {final['status']}: {final.get('error') or 'no reason given'}")
    deps.console.print(f"complete: {client.base_url.join(final['links']['report'])}")
