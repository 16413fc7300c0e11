"""Logging for every entry point: console or JSON lines, a request id on each record.

:func:`configure_logging` is called once where a process starts (the CLI, a uvicorn
factory); calling it again replaces its own handlers instead of adding more. The
request id lives in :data:`request_id_var`, set by
:class:`backbone.core.middleware.RequestIdMiddleware`; :class:`RequestIdFilter` copies
it onto every record (``"-"`` outside a request). uvicorn's loggers propagate to the
same handlers, so access lines carry the request id too.

A record's own fields (``extra={...}``: ``retry_scheduled`` with its attempt, wait,
url...) are members of a JSON line, and follow the message on a console line as
``key=value``, in the order the caller gave them (logfmt's quoting).

Both formats mask credentials in URLs (userinfo, ``?token=`` and the like:
:func:`backbone.resilience.redact_urls`) in the finished line, traceback included. Our
own code masks at the source; this is the safety net for lines nobody here wrote:
httpx logs every request's URL, uvicorn's access log every query string, and
exception texts carry URLs into tracebacks. It costs two substring tests on a line
without a URL, a few microseconds on one with. Secrets a process knows (a model's API
key, a signing key) are registered with :func:`mask_secret` and masked the same way,
wherever they appear: a server that echoes a key puts it in a library's error line.
"""

from __future__ import annotations

import json
import logging
import re
import sys
from contextvars import ContextVar
from logging.handlers import TimedRotatingFileHandler
from pathlib import Path
from typing import TextIO

from pythonjsonlogger.json import JsonFormatter

from backbone.resilience import redact_urls

request_id_var: ContextVar[str | None] = ContextVar("backbone_request_id", default=None)

CONSOLE_FORMAT = "%(asctime)s %(levelname)-8s %(name)s [%(request_id)s] %(message)s"
JSON_FIELDS = ("asctime", "levelname", "name", "message", "request_id")
UVICORN_LOGGERS = ("uvicorn", "uvicorn.error", "uvicorn.access")
_OWNED = "_backbone_handler"
# What every record has of its own; any other attribute was given as a field (extra=).
_RECORD_ATTRS = frozenset(vars(logging.LogRecord("", 0, "", 0, "", None, None)))
# uvicorn's ANSI-coloured duplicate of each message is noise in either format.
_NOT_FIELDS = [*_RECORD_ATTRS, "message", "asctime", "color_message"]
_QUOTE = re.compile(r'[\s"=\x00-\x1f\x7f]')


class RequestIdFilter(logging.Filter):
    """Adds ``record.request_id`` (the current request's id, or ``"-"``) to every record."""

    def filter(self, record: logging.LogRecord) -> bool:
        if not getattr(record, "request_id", None):
            record.request_id = request_id_var.get() or "-"
        return True


class _CurrentStderrHandler(logging.StreamHandler[TextIO]):
    """Writes to whatever ``sys.stderr`` is at emit time (test runners swap it)."""

    def __init__(self) -> None:
        super().__init__(sys.stderr)

    @property
    def stream(self) -> TextIO:
        return sys.stderr

    @stream.setter
    def stream(self, value: TextIO) -> None:
        """Ignored: the stream is always the current ``sys.stderr``."""


def _console_value(value: object) -> str:
    text = str(value)
    # logfmt's rule: quoted (JSON escapes) when a reader could not tell where it ends.
    return json.dumps(text, ensure_ascii=False) if not text or _QUOTE.search(text) else text


MASK = "**********"
_SECRETS: set[str] = set()
MIN_SECRET_LENGTH = 8
"""Shorter values are not masked: they would mask ordinary words (and are no secrets)."""


def mask_secret(value: str | None) -> None:
    """Mask ``value`` wherever it appears in a log line of this process from now on."""
    if value is not None and len(value) >= MIN_SECRET_LENGTH:
        _SECRETS.add(value)


def redact_secrets(text: str) -> str:
    """``text`` with every registered secret replaced by :data:`MASK`."""
    for secret in _SECRETS:
        if secret in text:
            text = text.replace(secret, MASK)
    return text


class _Redacting(logging.Formatter):
    """The finished line, URL credentials and registered secrets masked (see the module)."""

    def format(self, record: logging.LogRecord) -> str:
        return redact_secrets(redact_urls(super().format(record)))


class JsonLineFormatter(_Redacting, JsonFormatter):
    """One JSON object per line: :data:`JSON_FIELDS` and the record's fields."""


class ConsoleFormatter(_Redacting):
    """:data:`CONSOLE_FORMAT`, then the record's fields as ``key=value``."""

    _skip = frozenset([*_NOT_FIELDS, "request_id"])  # the request id is in brackets already

    def __init__(self) -> None:
        super().__init__(CONSOLE_FORMAT)

    def formatMessage(self, record: logging.LogRecord) -> str:
        line = super().formatMessage(record)
        fields = [
            f"{name}={_console_value(value)}"
            for name, value in vars(record).items()
            if name not in self._skip
        ]
        return " ".join([line, *fields]) if fields else line


def _formatter(fmt: str) -> logging.Formatter:
    if fmt == "json":
        return JsonLineFormatter(
            list(JSON_FIELDS),
            rename_fields={"asctime": "time", "levelname": "level"},
            reserved_attrs=_NOT_FIELDS,
        )
    if fmt == "console":
        return ConsoleFormatter()
    msg = f"unknown log format {fmt!r} (expected 'console' or 'json')"
    raise ValueError(msg)


def _handlers(file: Path | str | None) -> list[logging.Handler]:
    handlers: list[logging.Handler] = [_CurrentStderrHandler()]
    if file is not None:
        path = Path(file)
        path.parent.mkdir(parents=True, exist_ok=True)
        handlers.append(
            TimedRotatingFileHandler(path, when="midnight", backupCount=14, encoding="utf-8")
        )
    return handlers


def configure_logging(
    *, level: str | int = "INFO", fmt: str = "console", file: Path | str | None = None
) -> None:
    """Send every log record (ours and uvicorn's) to stderr, and to ``file`` if given.

    Idempotent: the handlers a previous call installed are closed and replaced.
    """
    formatter = _formatter(fmt)
    root = logging.getLogger()
    for handler in list(root.handlers):
        if getattr(handler, _OWNED, False):
            root.removeHandler(handler)
            handler.close()
    for handler in _handlers(file):
        handler.setFormatter(formatter)
        handler.addFilter(RequestIdFilter())
        setattr(handler, _OWNED, True)
        root.addHandler(handler)
    root.setLevel(level.upper() if isinstance(level, str) else level)
    for name in UVICORN_LOGGERS:
        uvicorn_logger = logging.getLogger(name)
        uvicorn_logger.handlers.clear()
        uvicorn_logger.propagate = True
