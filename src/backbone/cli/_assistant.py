"""``backbone assistant ...``: the assistant API, for people.

``register`` and ``login`` ask for the password (hidden) unless ``--password-stdin``;
``login`` keeps the tokens in the user's config directory (see
:mod:`backbone.cli._credentials`) and never prints them. ``analyze FILE`` uploads a
CSV or JSON file, submits an analysis, follows its events with a progress bar, then
prints the report, its key numbers and where it saved the chart. ``tasks`` and
``task ID`` read tasks back; ``logout`` revokes the login. Every refusal is one line
on stderr with the API's problem detail, exit code 1; usage errors exit 2.

The HTTP client is made by :class:`AssistantClient`; tests pass their own transport,
a ``sleep`` that does not sleep and a clock through the typer context's ``obj``.
"""

from __future__ import annotations

import contextlib
import enum
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Any

import httpx
import typer
from rich.console import Console
from rich.text import Text

from backbone.cli._assistant_api import ApiError, LoginRequired, Session, login, register
from backbone.cli._assistant_api import save_artifact as download
from backbone.cli._assistant_tasks import (
    MAX_RECONNECTS,
    MEDIA_TYPES,
    follow_events,
    get_task,
    list_tasks,
    submit_analysis,
    upload,
)
from backbone.cli._assistant_view import (
    clean,
    progress_bar,
    show_report,
    show_task,
    step_line,
    tasks_table,
)
from backbone.cli._credentials import CredentialsError, CredentialStore, config_path

__all__ = ["DEFAULT_URL", "AssistantClient", "assistant_app"]

DEFAULT_URL = "http://127.0.0.1:8002"
FINAL = frozenset({"complete", "failed", "cancelled"})

assistant_app = typer.Typer(
    help="Register, log in, and have the assistant analyse data (the assistant API).",
    no_args_is_help=True,
)

Url = Annotated[
    str | None,
    typer.Option(
        envvar="BACKBONE_ASSISTANT_URL",
        show_default=False,
        help=f"The assistant API's base URL [default: the one logged in to, else {DEFAULT_URL}]",
    ),
]
PasswordStdin = Annotated[
    bool,
    typer.Option("--password-stdin", help="Read the password from standard input (one line)."),
]


class TaskState(enum.StrEnum):
    """The states ``tasks --status`` accepts."""

    PENDING = "pending"
    IN_PROGRESS = "in-progress"
    AWAITING_APPROVAL = "awaiting-approval"
    COMPLETE = "complete"
    FAILED = "failed"
    CANCELLED = "cancelled"


@dataclass
class AssistantClient:
    """How the commands reach the API (tests replace transport, sleep, clock and store)."""

    transport: httpx.BaseTransport | None = None
    sleep: Callable[[float], None] = time.sleep
    clock: Callable[[], float] = time.time
    timeout: float = 30.0
    credentials_path: Path | None = None
    """None: ``$XDG_CONFIG_HOME/backbone/assistant.json``, read when a command runs."""
    console: Console = field(default_factory=lambda: Console(markup=False, soft_wrap=True))

    def client(self, url: str) -> httpx.Client:
        """An HTTP client of the API at ``url``."""
        return httpx.Client(base_url=url, transport=self.transport, timeout=self.timeout)

    def store(self) -> CredentialStore:
        """Where the login is kept."""
        return CredentialStore(self.credentials_path or config_path())


def _context(ctx: typer.Context) -> AssistantClient:
    return ctx.obj if isinstance(ctx.obj, AssistantClient) else AssistantClient()


def _fail(message: str, *, code: int = 1) -> typer.Exit:
    Console(stderr=True, markup=False, soft_wrap=True).print(
        Text(f"backbone assistant: {clean(message)}", style="bold red")
    )
    return typer.Exit(code)


@contextlib.contextmanager
def _errors() -> Iterator[None]:
    """Refusals and unreadable credentials become one line on stderr and exit code 1."""
    try:
        yield
    except (ApiError, CredentialsError) as exc:
        raise _fail(str(exc)) from None


def _checked_url(url: str) -> str:
    """``url`` without a trailing slash, if it is an http(s) URL (a usage error if not)."""
    try:
        scheme = httpx.URL(url).scheme
    except httpx.InvalidURL:
        scheme = ""
    if scheme not in ("http", "https"):
        raise typer.BadParameter(f"{url!r} is not an http(s) URL", param_hint="--url")
    return url.rstrip("/")


def _anonymous_url(deps: AssistantClient, url: str | None) -> str:
    """The URL of register and login: the option, else the stored login's, else the default."""
    if url:
        return _checked_url(url)
    with contextlib.suppress(CredentialsError):
        stored = deps.store().load()
        if stored is not None:
            return stored.url
    return DEFAULT_URL


@contextlib.contextmanager
def _session(deps: AssistantClient, url: str | None) -> Iterator[Session]:
    """A session with the stored login (its tokens go only to the URL they came from)."""
    store = deps.store()
    credentials = store.load()
    if credentials is None:
        raise LoginRequired("not logged in: run `backbone assistant login EMAIL` first")
    if url and _checked_url(url) != credentials.url:
        raise LoginRequired(
            f"logged in to {credentials.url}, not {url}: "
            f"run `backbone assistant login EMAIL --url {url}`"
        )
    with deps.client(credentials.url) as http:
        yield Session(http, store=store, credentials=credentials, clock=deps.clock)


def _password(*, from_stdin: bool, confirm: bool) -> str:
    if from_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
        if not password:
            raise typer.BadParameter("no password on standard input", param_hint="--password-stdin")
        return password
    return str(typer.prompt("Password", hide_input=True, confirmation_prompt=confirm))


@assistant_app.command("register")
def register_command(
    ctx: typer.Context,
    email: Annotated[str, typer.Argument(help="The account's email.")],
    password_stdin: PasswordStdin = False,
    url: Url = None,
) -> None:
    """Create an account (the password is asked twice): prints the new user's id."""
    deps = _context(ctx)
    base = _anonymous_url(deps, url)
    password = _password(from_stdin=password_stdin, confirm=True)
    with _errors(), deps.client(base) as http:
        user = register(http, email=email, password=password)
    deps.console.print(clean(user.get("user_id")))
    deps.console.print(f"registered {clean(email)}; now `backbone assistant login {clean(email)}`")


@assistant_app.command("login")
def login_command(
    ctx: typer.Context,
    email: Annotated[str, typer.Argument(help="The account's email.")],
    password_stdin: PasswordStdin = False,
    url: Url = None,
) -> None:
    """Log in: keeps the tokens in the config directory (never printed)."""
    deps = _context(ctx)
    base = _anonymous_url(deps, url)
    password = _password(from_stdin=password_stdin, confirm=False)
    with _errors(), deps.client(base) as http:
        credentials = login(http, email=email, password=password, now=deps.clock())
        deps.store().save(credentials)
    deps.console.print(f"logged in to {base} as {clean(email)}")


@assistant_app.command("logout")
def logout_command(ctx: typer.Context) -> None:
    """Revoke the login on the API it came from, and forget its tokens."""
    deps = _context(ctx)
    with _errors():
        try:
            with _session(deps, None) as session:
                session.logout()
        except LoginRequired:
            pass  # no login, or one whose refresh token no longer works: nothing to revoke
        except ApiError as exc:
            raise ApiError(f"{exc}; the local login is deleted all the same") from exc
        finally:
            deps.store().delete()
    deps.console.print("logged out")


def _total(task: dict[str, Any]) -> int | None:
    total = (task.get("progress") or {}).get("total_steps")
    return total if isinstance(total, int) else None


def _follow(deps: AssistantClient, session: Session, task_id: str) -> dict[str, Any]:
    """Follow the task's events with a progress bar; the final task."""
    total = _total(get_task(session, task_id))
    done: set[str] = set()
    with progress_bar(deps.console) as progress:
        bar = progress.add_task(f"task {task_id[:8]}", total=total)

        def on_step(step: dict[str, Any]) -> None:
            nonlocal total
            index = str(step.get("index"))
            if index in done:
                return
            done.add(index)
            progress.console.print(step_line(step))
            if total is None:
                total = _total(get_task(session, task_id))
            progress.update(bar, completed=len(done), total=total)

        def on_reconnect(drops: int, wait: float, reason: str) -> None:
            note = f"the event stream dropped ({clean(reason)}); resuming in {wait:g} s"
            progress.console.print(Text(f"{note} ({drops}/{MAX_RECONNECTS})", style="yellow"))

        final = follow_events(
            session, task_id, on_step=on_step, on_reconnect=on_reconnect, sleep=deps.sleep
        )
        completed = (final.get("progress") or {}).get("completed_steps", len(done))
        progress.update(bar, completed=completed, total=_total(final) or completed)
    return final


def _finish(deps: AssistantClient, session: Session, task: dict[str, Any], out: Path) -> None:
    """Show a final task's report and save its artifacts, or fail with its error."""
    task_id, status = str(task.get("task_id")), task.get("status")
    if status != "complete":
        raise ApiError(f"task {task_id} {status}: {task.get('error') or 'no reason given'}")
    show_report(deps.console, task)
    artifacts = (task.get("result") or {}).get("artifacts") or []
    if artifacts:
        out.mkdir(parents=True, exist_ok=True)
    for artifact in artifacts:
        path = download(session, task_id, str(artifact.get("name")), out)
        deps.console.print(f"{clean(artifact.get('name'))} saved to {clean(path.resolve())}")


def _source(file: Path | None, orders: bool) -> Path | None:
    """The file to upload (None with --orders); a usage error unless exactly one is given."""
    if orders == (file is not None):
        raise typer.BadParameter("give a FILE or --orders (one of the two)", param_hint="FILE")
    if file is not None and file.suffix.lower() not in MEDIA_TYPES:
        raise typer.BadParameter("must be a .csv or a .json file", param_hint="FILE")
    return file


@assistant_app.command("analyze")
def analyze_command(
    ctx: typer.Context,
    file: Annotated[
        Path | None,
        typer.Argument(exists=True, dir_okay=False, help="A .csv or .json file to analyse."),
    ] = None,
    orders: Annotated[
        bool, typer.Option("--orders", help="Analyse the Order Service's orders instead.")
    ] = False,
    question: Annotated[str | None, typer.Option(help="What to find out.")] = None,
    name: Annotated[str | None, typer.Option(help="The dataset's name (default: FILE's).")] = None,
    out: Annotated[Path, typer.Option(file_okay=False, help="Where to save the chart.")] = Path(),
    no_follow: Annotated[
        bool, typer.Option("--no-follow", help="Print the task id and return at once.")
    ] = False,
    url: Url = None,
) -> None:
    """Upload FILE (or use --orders), analyse it, follow the steps, print the report."""
    path = _source(file, orders)
    deps = _context(ctx)
    with _errors(), _session(deps, url) as session:
        source = {"source": "orders"}
        if path is not None:
            dataset = upload(session, path, name=name)
            deps.console.print(
                f"dataset {clean(dataset.get('dataset_id'))}: {clean(dataset.get('name'))}, "
                f"{clean(dataset.get('rows'))} rows, {len(dataset.get('columns') or [])} columns"
            )
            source = {"dataset_id": str(dataset.get("dataset_id"))}
        task_id = submit_analysis(session, source, question)
        deps.console.print(f"task {clean(task_id)}")
        if no_follow:
            deps.console.print(f"see it with `backbone assistant task {clean(task_id)}`")
            return
        try:
            final = _follow(deps, session, task_id)
        except KeyboardInterrupt:
            raise _fail(
                f"stopped following; task {task_id} goes on: "
                f"see it with `backbone assistant task {task_id}`",
                code=130,
            ) from None
        _finish(deps, session, final, out)


@assistant_app.command("tasks")
def tasks_command(
    ctx: typer.Context,
    limit: Annotated[int, typer.Option(min=1, max=100, help="How many, newest first.")] = 20,
    status: Annotated[TaskState | None, typer.Option(help="Only tasks in this state.")] = None,
    url: Url = None,
) -> None:
    """List your tasks, newest first."""
    deps = _context(ctx)
    with _errors(), _session(deps, url) as session:
        page = list_tasks(
            session, limit=limit, status=status.value if status else None, task_type=None
        )
    deps.console.print(tasks_table(page))


@assistant_app.command("task")
def task_command(
    ctx: typer.Context,
    task_id: Annotated[str, typer.Argument(help="The task's id.")],
    url: Url = None,
) -> None:
    """Show a task: its state, steps, and its report or error."""
    try:
        task_id = str(uuid.UUID(task_id))
    except ValueError:
        raise typer.BadParameter("not a task id (a UUID)", param_hint="TASK_ID") from None
    deps = _context(ctx)
    with _errors(), _session(deps, url) as session:
        task = get_task(session, task_id)
    show_task(deps.console, task)
