"""The assistant's app factory: what it needs, what it builds (without connecting), and the
auth routes' operations as the contract describes them."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml
from asyncpg import exceptions as pg
from sqlalchemy.exc import DBAPIError, IntegrityError
from sqlalchemy.exc import TimeoutError as PoolTimeout

import backbone.assistant
from backbone.assistant.config import AssistantSettings
from backbone.assistant.db import is_unreachable
from backbone.assistant.main import create_app
from backbone.cli._services import SERVICES

ROOT = Path(__file__).resolve().parents[3]
DATABASE = "postgresql://postgres@127.0.0.1:1/none"
REDIS = "redis://127.0.0.1:1/0"
OURS = ("/v1/auth/register", "/v1/auth/token", "/v1/auth/refresh", "/v1/auth/logout")
OURS += ("/v1/me", "/v1/users", "/v1/recommendations")
METHODS = frozenset({"get", "put", "post", "delete", "patch"})


@pytest.fixture(autouse=True)
def _no_store_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("REDIS_URL", "DATABASE_URL", "BACKBONE_ASSISTANT_BROKER_URL"):
        monkeypatch.delenv(name, raising=False)


def _cause(error: Exception) -> Exception:
    """A driver error caused by ``error``, as SQLAlchemy's asyncpg adapter raises them."""
    wrapper = RuntimeError("driver error")
    wrapper.__cause__ = error
    return wrapper


def _settings(**values: Any) -> AssistantSettings:
    return AssistantSettings(_env_file=None, password_memory_kib=1024, **values)  # type: ignore[call-arg]


@pytest.mark.parametrize(
    "values", [{"redis_url": REDIS}, {"database_url": DATABASE}], ids=["no-database", "no-redis"]
)
def test_create_app_needs_database_and_redis(values: dict[str, str]) -> None:
    """Without DATABASE_URL or REDIS_URL the factory refuses, naming both."""
    with pytest.raises(ValueError, match="DATABASE_URL and REDIS_URL"):
        create_app(_settings(**values))


def test_create_app_builds_without_connecting() -> None:
    """The app is built with unreachable stores; readiness covers database, broker, Redis,
    model, and reports (without failing on it) how the recommendation model is."""
    app = create_app(_settings(database_url=DATABASE, redis_url=REDIS))
    assert set(OURS) <= set(app.openapi()["paths"])
    assert set(app.state.readiness_checks) == {"database", "broker", "redis", "llm"}
    assert set(app.state.readiness_reports) == {"recommendations"}
    assert app.state.readiness_reports["recommendations"]() == "building"
    assert set(app.state.metrics.scrape_hooks) == {
        "assistant_jobs",
        "assistant_queue_depth",
        "assistant_recommendations",
    }


def test_package_exports_create_app_lazily() -> None:
    """`backbone.assistant.create_app` is the factory; other names are AttributeErrors."""
    assert backbone.assistant.create_app is create_app
    with pytest.raises(AttributeError, match="no attribute 'nope'"):
        _ = backbone.assistant.nope  # type: ignore[attr-defined]


def test_the_service_is_registered() -> None:
    """`backbone up` knows the API: port 8002, Redis, PostgreSQL and the gateway (the
    recommendations' orders and users), its migrations."""
    spec = SERVICES["assistant"]
    assert (spec.app, spec.port) == ("backbone.assistant:create_app", 8002)
    assert spec.needs == frozenset({"redis", "postgres", "gateway"})
    assert spec.migrations == "backbone.assistant.migrations"


def _operations(document: dict[str, Any]) -> dict[tuple[str, str], tuple[set[Any], set[str]]]:
    """(path, method) of our paths → (parameters as (name, in, required), response codes)."""
    parameters = document.get("components", {}).get("parameters", {})
    found = {}
    for path in OURS:
        for method, operation in document["paths"][path].items():
            if method not in METHODS:
                continue
            params = set()
            for p in operation.get("parameters", []):
                p = parameters[p["$ref"].rsplit("/", 1)[1]] if "$ref" in p else p
                params.add((p["name"], p["in"], bool(p.get("required"))))
            found[(path, method)] = (params, set(map(str, operation["responses"])))
    return found


def test_auth_routes_serve_the_contract() -> None:
    """The auth, users and recommendations operations: same methods, parameters and
    response codes as the contract (the whole service: tests/integration/test_contracts.py)."""
    contract = yaml.safe_load((ROOT / "contracts/openapi/assistant.yaml").read_text("utf-8"))
    generated = create_app(_settings(database_url=DATABASE, redis_url=REDIS)).openapi()
    assert _operations(generated) == _operations(contract)


def test_the_bearer_scheme_is_documented() -> None:
    """/docs shows the contract's bearer scheme, and the routes that need it use it."""
    document = create_app(_settings(database_url=DATABASE, redis_url=REDIS)).openapi()
    assert document["components"]["securitySchemes"]["bearer"] == {
        "type": "http",
        "scheme": "bearer",
        "bearerFormat": "JWT",
        "description": "An access token from `POST /v1/auth/token`.",
    }
    assert document["paths"]["/v1/me"]["get"]["security"] == [{"bearer": []}]
    assert "security" not in document["paths"]["/v1/auth/token"]["post"]


@pytest.mark.parametrize(
    ("error", "unreachable"),
    [
        (ConnectionRefusedError(111, "refused"), True),
        (TimeoutError(), True),
        (PoolTimeout("QueuePool limit reached"), True),
        (DBAPIError("SELECT 1", None, ConnectionResetError(), connection_invalidated=True), True),
        (DBAPIError("SELECT 1", None, _cause(pg.PostgresConnectionError("gone"))), True),
        (DBAPIError("SELECT 1", None, _cause(pg.DataError("bad value"))), False),
        (IntegrityError("INSERT", None, ValueError("duplicate")), False),
        (ValueError("a bug"), False),
    ],
    ids=["refused", "timeout", "pool", "invalidated", "connection", "data", "integrity", "bug"],
)
def test_unreachable_database_errors_are_told_apart(error: Exception, unreachable: bool) -> None:
    """Errors of reaching PostgreSQL (503) are told from bugs (500), however wrapped."""
    assert is_unreachable(error) is unreachable
