"""Instrumentation: on_retry / on_giveup hooks, structured log events, Prometheus counters."""

from __future__ import annotations

import logging
import sys
from collections.abc import Callable

import httpx
import pytest
from prometheus_client import CollectorRegistry

from backbone.resilience import (
    GiveUpEvent,
    ResilientClient,
    RetryEvent,
    RetryExhaustedError,
    prometheus_hooks,
)

from .conftest import Script

MakeClient = Callable[..., ResilientClient]
LOGGER = "backbone.resilience._instrumentation"


async def test_sync_hooks_see_every_retry_and_the_giveup(make_client: MakeClient) -> None:
    """on_retry fires once per retry with attempt/wait/reason; on_giveup once, with the error."""
    retries: list[RetryEvent] = []
    giveups: list[GiveUpEvent] = []
    error = httpx.ConnectError("refused")
    script = Script(503, error, 500)
    client = make_client(script, max_retries=2, on_retry=retries.append, on_giveup=giveups.append)
    async with client:
        with pytest.raises(RetryExhaustedError) as caught:
            await client.get("/x")
    assert [(e.attempt, e.wait, e.reason, e.status) for e in retries] == [
        (1, 1.0, "503 Service Unavailable", 503),
        (2, 2.0, "ConnectError('refused')", None),
    ]
    assert retries[0].exception is None
    assert retries[1].exception is error
    assert (retries[1].method, retries[1].url, retries[1].elapsed) == ("GET", "http://svc/x", 1.0)
    assert len(giveups) == 1
    assert giveups[0].error is caught.value
    assert giveups[0].attempts == caught.value.attempts
    assert (giveups[0].method, giveups[0].url) == ("GET", "http://svc/x")
    assert giveups[0].reason == "max_retries=2 exhausted"


async def test_async_hooks_are_awaited(make_client: MakeClient) -> None:
    """Async hooks are awaited, not left as un-awaited coroutines."""
    seen: list[str] = []

    async def on_retry(event: RetryEvent) -> None:
        seen.append(f"retry {event.attempt}")

    async def on_giveup(event: GiveUpEvent) -> None:
        seen.append(f"giveup {len(event.attempts)}")

    async with make_client(
        Script(503), max_retries=1, on_retry=on_retry, on_giveup=on_giveup
    ) as client:
        with pytest.raises(RetryExhaustedError):
            await client.get("/x")
    assert seen == ["retry 1", "giveup 2"]


async def test_one_structured_log_event_per_retry(
    make_client: MakeClient, caplog: pytest.LogCaptureFixture
) -> None:
    """Each retry logs one 'retry_scheduled' warning with its fields; give-up logs one error."""
    caplog.set_level(logging.WARNING, logger=LOGGER)
    async with make_client(Script(503, 503, 200)) as client:
        await client.get("/x")
    records = [r for r in caplog.records if r.name == LOGGER]
    assert [r.getMessage() for r in records] == ["retry_scheduled", "retry_scheduled"]
    assert [(r.attempt, r.wait, r.method, r.url, r.reason) for r in records] == [  # type: ignore[attr-defined]
        (1, 1.0, "GET", "http://svc/x", "503 Service Unavailable"),
        (2, 2.0, "GET", "http://svc/x", "503 Service Unavailable"),
    ]
    assert all(r.levelno == logging.WARNING for r in records)


async def test_giveup_is_logged(make_client: MakeClient, caplog: pytest.LogCaptureFixture) -> None:
    """A give-up logs one 'retry_exhausted' error with the attempt count and reason."""
    caplog.set_level(logging.WARNING, logger=LOGGER)
    async with make_client(Script(503), max_retries=0) as client:
        with pytest.raises(RetryExhaustedError):
            await client.get("/x")
    (record,) = [r for r in caplog.records if r.name == LOGGER]
    assert record.getMessage() == "retry_exhausted"
    assert record.levelno == logging.ERROR
    assert (record.attempts, record.reason) == (1, "max_retries=0 exhausted")  # type: ignore[attr-defined]


async def test_success_logs_nothing(
    make_client: MakeClient, caplog: pytest.LogCaptureFixture
) -> None:
    """A first-time success emits no log record at all."""
    caplog.set_level(logging.DEBUG)
    async with make_client(Script(200)) as client:
        await client.get("/x")
    assert [r for r in caplog.records if r.name.startswith("backbone")] == []


async def test_prometheus_hooks_count_retries_and_giveups(make_client: MakeClient) -> None:
    """prometheus_hooks() counts retries by method and reason, and give-ups by method."""
    registry = CollectorRegistry()
    hooks = prometheus_hooks(registry=registry, namespace="test_client")
    script = Script(503, httpx.ReadTimeout("slow"), 503)
    async with make_client(
        script, max_retries=2, on_retry=hooks.on_retry, on_giveup=hooks.on_giveup
    ) as client:
        with pytest.raises(RetryExhaustedError):
            await client.get("/x")
    value = registry.get_sample_value
    assert value("test_client_retries_total", {"method": "GET", "reason": "503"}) == 1.0
    assert value("test_client_retries_total", {"method": "GET", "reason": "ReadTimeout"}) == 1.0
    assert value("test_client_giveups_total", {"method": "GET"}) == 1.0


def test_prometheus_hooks_default_registry(monkeypatch: pytest.MonkeyPatch) -> None:
    """Without registry=, the hooks register on prometheus_client.REGISTRY."""
    import prometheus_client

    default = CollectorRegistry()
    monkeypatch.setattr(prometheus_client, "REGISTRY", default)
    hooks = prometheus_hooks()
    hooks.on_giveup(
        GiveUpEvent(method="PUT", url="u", reason="r", attempts=[], error=RetryExhaustedError(
            "x", attempts=[], last_response=None
        ))
    )  # fmt: skip
    assert default.get_sample_value("resilient_client_giveups_total", {"method": "PUT"}) == 1.0


def test_prometheus_hooks_without_prometheus_client(monkeypatch: pytest.MonkeyPatch) -> None:
    """Without prometheus-client installed, prometheus_hooks() says what is missing."""
    monkeypatch.setitem(sys.modules, "prometheus_client", None)
    with pytest.raises(RuntimeError, match="prometheus-client") as caught:
        prometheus_hooks()
    assert isinstance(caught.value.__cause__, ImportError)
