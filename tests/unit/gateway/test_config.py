"""GatewaySettings: routes from the environment, a YAML file or the defaults, validated."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from pydantic import ValidationError

from backbone.gateway.config import GatewaySettings, RouteConfig


def test_defaults_route_users_and_orders(monkeypatch: pytest.MonkeyPatch) -> None:
    """With nothing configured: /users → 9001, /orders → 9002, no rate limit."""
    monkeypatch.delenv("BACKBONE_USERS_URL", raising=False)
    monkeypatch.delenv("BACKBONE_ORDERS_URL", raising=False)
    settings = GatewaySettings(_env_file=None)  # type: ignore[call-arg]
    assert [(r.prefix, r.upstreams) for r in settings.routes] == [
        ("/users", ["http://127.0.0.1:9001"]),
        ("/orders", ["http://127.0.0.1:9002"]),
    ]
    assert settings.rate_limit_enabled is False
    assert settings.route("users") is settings.routes[0]
    assert settings.route("nope") is None


def test_service_urls_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """BACKBONE_USERS_URL / BACKBONE_ORDERS_URL move the default routes (backbone up sets them)."""
    monkeypatch.setenv("BACKBONE_USERS_URL", "http://10.0.0.1:7001/")
    monkeypatch.setenv("BACKBONE_ORDERS_URL", "http://10.0.0.2:7002")
    settings = GatewaySettings()
    assert settings.routes[0].upstreams == ["http://10.0.0.1:7001"]
    assert settings.routes[1].upstreams == ["http://10.0.0.2:7002"]


def test_routes_from_json_in_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """BACKBONE_GATEWAY_ROUTES holds the routes as JSON."""
    routes = [{"prefix": "/api/v1/", "upstreams": ["http://a:1", "http://b:2"], "timeout": 3}]
    monkeypatch.setenv("BACKBONE_GATEWAY_ROUTES", json.dumps(routes))
    (route,) = GatewaySettings().routes
    assert route.prefix == "/api/v1"
    assert route.upstreams == ["http://a:1", "http://b:2"]
    assert route.timeout == 3
    assert route.label == "api"


def test_routes_from_a_yaml_file(tmp_path: Path) -> None:
    """A routes file is read when no routes are given otherwise."""
    path = tmp_path / "routes.yaml"
    path.write_text(
        "routes:\n"
        "  - prefix: /users\n    upstreams: [http://u1:9001, http://u2:9001]\n"
        "  - prefix: /catalog\n    name: shop\n    upstreams: [https://shop.example]\n"
    )
    settings = GatewaySettings(routes_file=path)
    assert [route.label for route in settings.routes] == ["users", "shop"]
    assert settings.routes[1].upstreams == ["https://shop.example"]


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("routes: [", "cannot read the routes file"),
        ("- just a list", "expected a mapping with a 'routes' list"),
        ("routes:\n  - prefix: /x\n    upstreams: []\n", "at least 1 item"),
    ],
)
def test_a_bad_routes_file_is_refused(tmp_path: Path, content: str, message: str) -> None:
    """A routes file that cannot be used is an error naming the file, not a silent default."""
    path = tmp_path / "routes.yaml"
    path.write_text(content)
    with pytest.raises(ValidationError, match=message):
        GatewaySettings(routes_file=path)


def test_a_missing_routes_file_is_refused(tmp_path: Path) -> None:
    """A routes file that does not exist is an error."""
    with pytest.raises(ValidationError, match="cannot read the routes file"):
        GatewaySettings(routes_file=tmp_path / "missing.yaml")


@pytest.mark.parametrize(
    "upstream",
    ["ftp://x", "http://", "http://x/path", "http://x?q=1", "http://user@x", "127.0.0.1:9001"],
)
def test_upstreams_must_be_plain_origins(upstream: str) -> None:
    """An upstream is scheme://host[:port]: nothing else can be smuggled into it."""
    with pytest.raises(ValidationError, match="upstream"):
        RouteConfig(prefix="/x", upstreams=[upstream])


@pytest.mark.parametrize(
    "prefix", ["users", "/", "/a//b", "/a/../b", "/a/%2e", "/a\\b", " /a", "/healthz", "/metrics"]
)
def test_prefixes_must_be_plain_and_not_shadow_own_paths(prefix: str) -> None:
    """A prefix is an absolute plain path that does not take the gateway's own paths."""
    with pytest.raises(ValidationError, match="route prefix"):
        RouteConfig(prefix=prefix, upstreams=["http://x:1"])


def test_two_routes_with_one_prefix_are_refused() -> None:
    """Two routes for one prefix would make the choice arbitrary."""
    route = {"prefix": "/x", "upstreams": ["http://x:1"]}
    with pytest.raises(ValidationError, match="two routes with one prefix"):
        GatewaySettings(routes=[route, {**route, "prefix": "/x/"}])


def test_rate_limiting_needs_redis() -> None:
    """Rate limits live in Redis: enabling them without REDIS_URL is refused."""
    with pytest.raises(ValidationError, match="needs REDIS_URL"):
        GatewaySettings(rate_limit_enabled=True, redis_url=None)


def test_trusted_proxies_are_networks() -> None:
    """Trusted proxies are normalised networks; garbage is refused."""
    settings = GatewaySettings(trusted_proxies=["10.0.0.1/8", " ::1 "])
    assert settings.trusted_proxies == ["10.0.0.0/8", "::1/128"]
    with pytest.raises(ValidationError):
        GatewaySettings(trusted_proxies=["not-a-network"])


def test_the_example_routes_file_is_valid() -> None:
    """examples/gateway-routes.yaml, as the README points users to it, loads."""
    path = Path(__file__).resolve().parents[3] / "examples" / "gateway-routes.yaml"
    settings = GatewaySettings(routes_file=path)
    assert [route.prefix for route in settings.routes] == ["/users", "/orders"]
    assert settings.routes[0].retries == 2
