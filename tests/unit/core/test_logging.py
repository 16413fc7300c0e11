"""configure_logging: console or JSON, a request id on every line, idempotent."""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI

from backbone.core import configure_logging
from backbone.core.logging import _OWNED, RequestIdFilter, request_id_var
from backbone.resilience import ResilientClient, testing


def _owned() -> list[logging.Handler]:
    return [h for h in logging.getLogger().handlers if getattr(h, _OWNED, False)]


@pytest.fixture(autouse=True)
def _restore_root() -> Iterator[None]:
    """Leave the root logger as the test found it."""
    root = logging.getLogger()
    level = root.level
    yield
    for handler in _owned():
        root.removeHandler(handler)
        handler.close()
    root.setLevel(level)


def test_configure_twice_does_not_duplicate_handlers(tmp_path: Path) -> None:
    """Calling configure_logging again replaces its handlers instead of adding more."""
    configure_logging(level="INFO", fmt="console", file=tmp_path / "a.log")
    configure_logging(level="DEBUG", fmt="json", file=tmp_path / "a.log")
    assert len(_owned()) == 2
    configure_logging()
    assert len(_owned()) == 1
    assert logging.getLogger().level == logging.INFO


def test_json_line_has_request_id(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A JSON log line carries the request id of the current request."""
    log_file = tmp_path / "logs" / "service.log"
    configure_logging(level="INFO", fmt="json", file=log_file)
    token = request_id_var.set("req-42")
    try:
        logging.getLogger("backbone.test").info(
            "order_created id=%d", 7, extra={"color_message": "x", "order": 7}
        )
    finally:
        request_id_var.reset(token)
    line = json.loads(log_file.read_text().splitlines()[-1])
    assert line["request_id"] == "req-42"
    assert line["message"] == "order_created id=7"
    assert line["level"] == "INFO"
    assert line["order"] == 7
    assert "color_message" not in line
    assert json.loads(capsys.readouterr().err.splitlines()[-1])["request_id"] == "req-42"


def test_console_line_without_request(capsys: pytest.CaptureFixture[str]) -> None:
    """Outside a request the console line shows '-' as the request id."""
    configure_logging(level="INFO", fmt="console")
    logging.getLogger("backbone.test").warning("hello")
    assert "[-] hello" in capsys.readouterr().err


def _console_lines(capsys: pytest.CaptureFixture[str]) -> list[str]:
    return capsys.readouterr().err.splitlines()


def test_console_line_shows_extra_fields_in_the_order_given(
    capsys: pytest.CaptureFixture[str],
) -> None:
    """Fields passed as extra follow the message as key=value, in the caller's order."""
    configure_logging(level="INFO", fmt="console")
    fields = {"route": "users", "attempt": 2, "wait": 0.5, "url": "http://svc/a?q=1"}
    logging.getLogger("backbone.test").warning("upstream_slow", extra=fields)
    line = _console_lines(capsys)[-1]
    assert line.endswith('[-] upstream_slow route=users attempt=2 wait=0.5 url="http://svc/a?q=1"')


@pytest.mark.parametrize(
    ("value", "shown"),
    [
        ("503 Service Unavailable", '"503 Service Unavailable"'),
        ('say "hi"', '"say \\"hi\\""'),
        ("two\nlines", '"two\\nlines"'),
        ("", '""'),
        (None, "None"),
        ("plain", "plain"),
    ],
)
def test_console_values_are_quoted_when_they_would_be_ambiguous(
    capsys: pytest.CaptureFixture[str], value: object, shown: str
) -> None:
    """Spaces, quotes, '=', control characters or nothing at all: the value is quoted."""
    configure_logging(level="INFO", fmt="console")
    logging.getLogger("backbone.test").warning("event", extra={"reason": value})
    assert _console_lines(capsys)[-1].endswith(f" event reason={shown}")


def test_console_leaves_out_the_record_attributes_and_keeps_the_request_id(
    capsys: pytest.CaptureFixture[str],
) -> None:
    """Standard LogRecord attributes are not fields; the request id stays in brackets."""
    configure_logging(level="INFO", fmt="console")
    token = request_id_var.set("req-7")
    try:
        logging.getLogger("backbone.test").info("plain %s", "args", extra={"color_message": "x"})
    finally:
        request_id_var.reset(token)
    assert _console_lines(capsys)[-1].endswith(" backbone.test [req-7] plain args")


def test_console_fields_come_before_the_traceback(capsys: pytest.CaptureFixture[str]) -> None:
    """With an exception, the fields stay on the first line, the traceback follows."""
    configure_logging(level="INFO", fmt="console")
    try:
        raise ValueError("boom")
    except ValueError:
        logging.getLogger("backbone.test").exception("failed", extra={"job": 3})
    lines = _console_lines(capsys)
    first = next(i for i, line in enumerate(lines) if "failed" in line)
    assert lines[first].endswith(" failed job=3")
    assert lines[first + 1] == "Traceback (most recent call last):"


async def test_console_shows_the_resilient_clients_retry_fields(
    capsys: pytest.CaptureFixture[str],
) -> None:
    """backbone.resilience's retry_scheduled shows attempt, wait, method, url, reason."""
    configure_logging(level="INFO", fmt="console")
    answers = iter([httpx.Response(503), httpx.Response(200)])
    transport = httpx.MockTransport(lambda request: next(answers))
    with testing(attempts=2):
        async with ResilientClient(transport=transport, base_url="http://svc") as client:
            await client.get("/a")
    line = next(line for line in _console_lines(capsys) if "retry_scheduled" in line)
    fields = r' retry_scheduled attempt=1 wait=[0-9.]+ method=GET url=http://svc/a reason="503 '
    assert re.search(fields + r'Service Unavailable"$', line)


SECRET_LINES = [
    ('HTTP Request: GET http://u:pa55@h/x?access_token=s3cret&page=2 "HTTP/1.1 200 OK"',
     'HTTP Request: GET http://***@h/x?access_token=***&page=2 "HTTP/1.1 200 OK"'),
    ('127.0.0.1:5000 - "GET /callback?code=s3cret&state=1 HTTP/1.1" 200',
     '127.0.0.1:5000 - "GET /callback?code=***&state=1 HTTP/1.1" 200'),
]  # fmt: skip


@pytest.mark.parametrize(("message", "masked"), SECRET_LINES)
def test_console_lines_mask_url_credentials_whoever_logs_them(
    capsys: pytest.CaptureFixture[str], message: str, masked: str
) -> None:
    """A library's line (httpx, uvicorn's access log) is masked on its way out."""
    configure_logging(level="INFO", fmt="console")
    logging.getLogger("httpx").info("%s", message)
    assert _console_lines(capsys)[-1].endswith(f" {masked}")


@pytest.mark.parametrize(("message", "masked"), SECRET_LINES)
def test_json_lines_mask_url_credentials_and_stay_json(
    tmp_path: Path, message: str, masked: str
) -> None:
    """The JSON line is masked, quotes and all, and still parses."""
    log_file = tmp_path / "service.log"
    configure_logging(level="INFO", fmt="json", file=log_file)
    logging.getLogger("uvicorn.access").info("%s", message, extra={"url": message})
    line = json.loads(log_file.read_text().splitlines()[-1])
    assert (line["message"], line["url"]) == (masked, masked)


def test_tracebacks_mask_url_credentials(capsys: pytest.CaptureFixture[str]) -> None:
    """An exception's text in a traceback is masked too."""
    configure_logging(level="INFO", fmt="console")
    try:
        raise ConnectionError("cannot reach http://u:pa55@h/?token=s3cret&page=2")
    except ConnectionError:
        logging.getLogger("backbone.test").exception("call_failed")
    err = capsys.readouterr().err
    assert "cannot reach http://***@h/?token=***&page=2" in err
    assert "pa55" not in err
    assert "s3cret" not in err


def test_uvicorn_loggers_use_our_handlers() -> None:
    """uvicorn's loggers keep no handlers of their own and propagate to ours."""
    logging.getLogger("uvicorn.access").addHandler(logging.NullHandler())
    configure_logging()
    for name in ("uvicorn", "uvicorn.error", "uvicorn.access"):
        assert logging.getLogger(name).handlers == []
        assert logging.getLogger(name).propagate is True


def test_unknown_format_refused() -> None:
    """An unknown format is an error, not silently console."""
    with pytest.raises(ValueError, match="unknown log format"):
        configure_logging(fmt="xml")


def test_filter_keeps_explicit_request_id() -> None:
    """A record that already names its request id keeps it."""
    record = logging.LogRecord("n", logging.INFO, "f", 1, "m", None, None)
    record.request_id = "given"
    assert RequestIdFilter().filter(record)
    assert record.request_id == "given"


async def test_request_logs_carry_request_id(
    app: FastAPI, client: httpx.AsyncClient, capsys: pytest.CaptureFixture[str]
) -> None:
    """Logs written while serving a request carry that request's id."""
    configure_logging(level="INFO", fmt="json")
    await client.get("/boom", headers={"X-Request-ID": "trace-me"})
    lines = [json.loads(line) for line in capsys.readouterr().err.splitlines() if line]
    assert any(line["request_id"] == "trace-me" for line in lines)


def test_a_registered_secret_is_masked_in_every_line(capsys: pytest.CaptureFixture[str]) -> None:
    """A secret registered with mask_secret never reaches a line, traceback included."""
    from backbone.core.logging import MASK, mask_secret

    secret = "sk-test-" + "s3cr3t" * 4
    mask_secret(secret)
    mask_secret("short")  # too short to mask: ordinary words stay
    configure_logging(level="INFO", fmt="console")
    log = logging.getLogger("test.secrets")
    log.info("server said: invalid key %s", secret)
    try:
        raise ValueError(f"echo {secret}")
    except ValueError:
        log.exception("failed")
    log.info("a short word")
    err = capsys.readouterr().err
    assert secret not in err
    assert err.count(MASK) == 2  # the message, and the exception line of the traceback
    assert "a short word" in err
