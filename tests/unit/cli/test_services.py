"""The service registry and ``--only`` resolution."""

from __future__ import annotations

import importlib

import httpx
import pytest

from backbone.cli._services import (
    INFRASTRUCTURE,
    SERVICES,
    ServiceSpec,
    UnknownNameError,
    port_env,
    resolve,
)


def test_flaky_is_registered_as_an_http_app_on_9003() -> None:
    """The registry holds the flaky mock with its factory, default port and no needs."""
    spec = SERVICES["flaky"]
    assert spec == ServiceSpec(
        name="flaky",
        app="backbone.mocks.flaky:create_app",
        port=9003,
        needs=frozenset(),
        try_path="/flaky/demo",
    )
    assert spec.is_http
    assert spec.port_env == "BACKBONE_FLAKY_PORT"


MOCKS = [("users", 9001, "/users/123"), ("orders", 9002, "/orders?user_id=123")]


@pytest.mark.parametrize(("name", "port", "try_path"), MOCKS)
def test_users_and_orders_are_registered(name: str, port: int, try_path: str) -> None:
    """The User and Order Service mocks are HTTP apps on 9001 / 9002 with no needs."""
    assert SERVICES[name] == ServiceSpec(
        name=name,
        app=f"backbone.mocks.{name}:create_app",
        port=port,
        needs=frozenset(),
        try_path=try_path,
    )


def test_reports_api_and_worker_are_registered() -> None:
    """The report API (8001, a POST to try) and its worker (``backbone worker``) need both."""
    api, worker = SERVICES["reports"], SERVICES["reports-worker"]
    assert (api.app, api.port, api.try_method, api.try_path) == (
        "backbone.reports:create_app",
        8001,
        "POST",
        "/generate-report",
    )
    assert worker.command == ("backbone.cli", "worker")
    assert not worker.is_http
    assert api.needs == worker.needs == frozenset(INFRASTRUCTURE)


def test_the_assistant_worker_starts_after_the_services_its_actions_call() -> None:
    """The assistant's worker needs the gateway (orders) and the report API (an
    automation's generate_report): `up` gives it their URLs as BACKBONE_<NAME>_URL."""
    worker = SERVICES["assistant-worker"]
    assert worker.needs == frozenset({*INFRASTRUCTURE, "gateway", "reports"})


@pytest.mark.parametrize(("name", "port", "try_path"), MOCKS)
async def test_the_suggested_curl_answers_200(name: str, port: int, try_path: str) -> None:
    """The path the start-up table suggests for users and orders answers 200 from a fresh app."""
    module, _, factory = SERVICES[name].app.partition(":")  # type: ignore[union-attr]
    app = getattr(importlib.import_module(module), factory)()
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(
        transport=transport, base_url=f"http://127.0.0.1:{port}"
    ) as client:
        assert (await client.get(try_path)).status_code == 200


def test_a_worker_is_a_command_without_a_port() -> None:
    """A non-HTTP process (a worker command) can be expressed, and is not HTTP."""
    spec = ServiceSpec(
        name="reports-worker", command=("celery", "worker"), needs=frozenset({"redis"})
    )
    assert not spec.is_http
    assert spec.port is None
    assert port_env(spec.name) == "BACKBONE_REPORTS_WORKER_PORT"


@pytest.mark.parametrize(
    "kwargs",
    [
        {"name": "x"},  # neither app nor command
        {"name": "x", "app": "m:f", "port": 1, "command": ("c",)},  # both
        {"name": "x", "app": "m:f"},  # app without port
        {"name": "x", "app": "no-colon", "port": 1},
        {"name": "x", "command": ("c",), "port": 1},  # command with a port
        {"name": "Bad Name", "app": "m:f", "port": 1},
        {"name": "redis", "app": "m:f", "port": 1},  # clashes with infrastructure
    ],
)
def test_inconsistent_specs_are_refused(kwargs: dict[str, object]) -> None:
    """A spec must be exactly one of app+port or command, under a valid, free name."""
    with pytest.raises(ValueError, match=r"\S"):
        ServiceSpec(**kwargs)  # type: ignore[arg-type]


def test_everything_by_default() -> None:
    """Without --only, all infrastructure and every service start, each after its needs."""
    infra, specs = resolve(None)
    assert infra == list(INFRASTRUCTURE)
    names = [s.name for s in specs]
    assert sorted(names) == sorted(SERVICES)
    for position, spec in enumerate(specs):
        assert set(spec.needs) - set(INFRASTRUCTURE) <= set(names[:position]), spec.name


def test_only_pulls_in_needs_in_start_order() -> None:
    """--only a service starts what it needs first, infrastructure in its fixed order."""
    services = {
        "api": ServiceSpec(name="api", app="m:f", port=1, needs=frozenset({"db-api", "redis"})),
        "db-api": ServiceSpec(name="db-api", app="m:g", port=2, needs=frozenset({"postgres"})),
        "other": ServiceSpec(name="other", app="m:h", port=3),
    }
    infra, specs = resolve(["api"], services)
    assert infra == ["redis", "postgres"]
    assert [s.name for s in specs] == ["db-api", "api"]


def test_only_infrastructure() -> None:
    """--only redis starts Redis alone."""
    assert resolve(["redis"]) == (["redis"], [])


def test_unknown_names_are_listed_with_the_known_ones() -> None:
    """An unknown --only name is an error naming it and every known name."""
    known = ", ".join(sorted({*SERVICES, *INFRASTRUCTURE}))
    with pytest.raises(UnknownNameError, match=rf"'nope'.*known: {known}$"):
        resolve(["nope", "flaky"])


def test_a_dependency_cycle_is_an_error() -> None:
    """Services that need each other cannot be ordered."""
    services = {
        "a": ServiceSpec(name="a", app="m:f", port=1, needs=frozenset({"b"})),
        "b": ServiceSpec(name="b", app="m:g", port=2, needs=frozenset({"a"})),
    }
    with pytest.raises(ValueError, match="cycle: a -> b -> a"):
        resolve(["a"], services)


def test_review_api_worker_and_fake_github_are_registered() -> None:
    """The review API (8003) and its worker need the stores; the worker also the fake
    GitHub (9004), which `up` points it at when no GitHub credentials are set."""
    api, worker, github = SERVICES["review"], SERVICES["review-worker"], SERVICES["github"]
    assert (api.app, api.port, api.migrations) == (
        "backbone.review:create_app",
        8003,
        "backbone.review.migrations",
    )
    assert worker.command == ("backbone.cli", "worker", "review")
    assert worker.needs == frozenset({*INFRASTRUCTURE, "github"})
    assert (github.app, github.port, github.needs) == (
        "backbone.mocks.github:create_app",
        9004,
        frozenset(),
    )


async def test_the_fake_githubs_suggested_curl_answers_200() -> None:
    """The start-up table's curl for the fake GitHub works without a token."""
    spec = SERVICES["github"]
    module, _, factory = spec.app.partition(":")  # type: ignore[union-attr]
    app = getattr(importlib.import_module(module), factory)()
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1:9004") as client:
        assert (await client.get(spec.try_path)).status_code == 200


def test_the_community_crm_and_its_bot_are_registered() -> None:
    """The CRM API (8004, its migrations) needs PostgreSQL; the bot (``backbone bot``) is a
    command after the CRM, started only with a Discord token."""
    api, bot = SERVICES["community"], SERVICES["community-bot"]
    assert (api.app, api.port, api.needs, api.migrations) == (
        "backbone.community:create_app",
        8004,
        frozenset({"postgres"}),
        "backbone.community.migrations",
    )
    assert (bot.command, bot.needs) == (
        ("backbone.cli", "bot"),
        frozenset({"postgres", "community"}),
    )
    assert bot.start_if_set == ("BACKBONE_COMMUNITY_DISCORD_TOKEN", "DISCORD_TOKEN")
    assert api.start_if_set == ()


def test_start_if_set_is_for_commands_only() -> None:
    """An HTTP app others may need cannot be optional."""
    with pytest.raises(ValueError, match="start_if_set"):
        ServiceSpec(name="x", app="m:f", port=1, start_if_set=("TOKEN",))
