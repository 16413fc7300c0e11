"""The API's factory: what it needs, what it builds, without connecting to anything."""

from __future__ import annotations

from typing import Any

import pytest

import backbone.reports
from backbone.jobs._broker import KombuProbe, RedisProbe, broker_probe
from backbone.jobs._celery import create_celery
from backbone.reports.config import ReportsSettings
from backbone.reports.main import create_app

DATABASE = "postgresql://postgres@127.0.0.1:1/none"


def _settings(**values: Any) -> ReportsSettings:
    return ReportsSettings(_env_file=None, **values)  # type: ignore[call-arg]


@pytest.fixture(autouse=True)
def _no_store_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("REDIS_URL", "DATABASE_URL", "BACKBONE_REPORTS_BROKER_URL"):
        monkeypatch.delenv(name, raising=False)


@pytest.mark.parametrize(
    "values",
    [{"redis_url": "redis://127.0.0.1:1/0"}, {"database_url": DATABASE}],
    ids=["no-database", "no-broker"],
)
def test_create_app_needs_database_and_broker(values: dict[str, str]) -> None:
    """Without DATABASE_URL or a broker the factory refuses, naming both."""
    with pytest.raises(ValueError, match="DATABASE_URL and REDIS_URL"):
        create_app(_settings(**values))


def test_create_app_builds_without_connecting() -> None:
    """The app is built with unreachable stores (nothing connects before a request)."""
    app = create_app(_settings(database_url=DATABASE, redis_url="redis://127.0.0.1:1/0"))
    paths = app.openapi()["paths"]
    assert {"/generate-report", "/reports", "/reports/{job_id}", "/readyz"} <= set(paths)
    assert set(app.state.readiness_checks) == {"database", "broker"}
    assert set(app.state.metrics.scrape_hooks) == {"reports_jobs", "reports_queue_depth"}


def test_package_exports_create_app_lazily() -> None:
    """`backbone.reports.create_app` is the factory; other names are AttributeErrors."""
    assert backbone.reports.create_app is create_app
    with pytest.raises(AttributeError, match="no attribute 'nope'"):
        _ = backbone.reports.nope  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    ("url", "kind"),
    [
        ("redis://127.0.0.1:6379/3", RedisProbe),
        ("rediss://cache.example:6380/0", RedisProbe),
        ("amqp://guest@rabbit.example//", KombuProbe),
    ],
)
def test_probe_follows_the_broker_scheme(url: str, kind: type) -> None:
    """Redis brokers are asked directly; any other broker through kombu."""
    celery = create_celery(_settings(broker_url=url), main="test")
    assert isinstance(broker_probe(celery, url), kind)
