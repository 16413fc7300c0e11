"""Prefix routing at segment boundaries, round-robin pools and passive health."""

from __future__ import annotations

import logging

import pytest

from backbone.gateway.config import RouteConfig
from backbone.gateway.routing import Instance, RouteTable, UpstreamPool

A, B, C = "http://10.0.0.1:9001", "http://10.0.0.2:9001", "https://10.0.0.3"


class Clock:
    """A hand-driven monotonic clock."""

    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def _pool(*urls: str, max_fails: int = 2, fail_timeout: float = 10.0) -> tuple[UpstreamPool, Clock]:
    clock = Clock()
    pool = UpstreamPool(
        urls or (A, B, C), max_fails=max_fails, fail_timeout=fail_timeout, clock=clock
    )
    return pool, clock


def _picks(pool: UpstreamPool, count: int) -> list[str]:
    return [pool.pick().url for _ in range(count)]


# --------------------------------------------------------------------------- Instance


def test_instance_knows_its_netloc() -> None:
    """An instance's netloc (for the Host header) comes from its URL."""
    assert Instance(A).netloc == "10.0.0.1:9001"
    assert Instance(C).netloc == "10.0.0.3"


# --------------------------------------------------------------------------- UpstreamPool


def test_round_robin_over_healthy_instances() -> None:
    """Healthy instances are picked in turn, wrapping around."""
    pool, _ = _pool()
    assert _picks(pool, 7) == [A, B, C, A, B, C, A]


def test_single_instance_pool() -> None:
    """A one-instance pool always picks it."""
    pool, _ = _pool(A)
    assert _picks(pool, 3) == [A, A, A]


def test_failures_below_max_fails_do_not_eject() -> None:
    """Fewer than ``max_fails`` consecutive failures leave the instance in rotation."""
    pool, _ = _pool(max_fails=3)
    first = pool.instances[0]
    pool.report(first, ok=False)
    pool.report(first, ok=False)
    assert first.fails == 2
    assert pool.healthy() == 3
    assert _picks(pool, 3) == [A, B, C]


def test_ejection_after_max_fails(caplog: pytest.LogCaptureFixture) -> None:
    """``max_fails`` consecutive failures eject the instance for ``fail_timeout`` seconds."""
    pool, clock = _pool(max_fails=2, fail_timeout=10.0)
    second = pool.instances[1]
    with caplog.at_level(logging.WARNING, logger="backbone.gateway.routing"):
        pool.report(second, ok=False)
        pool.report(second, ok=False)
    assert second.ejected_until == clock.now + 10.0
    assert second.fails == 0  # counting starts again once it is back
    assert "upstream_ejected" in caplog.text
    assert pool.healthy() == 2
    assert _picks(pool, 4) == [A, C, C, A]
    clock.now += 10.0  # the ejection ends
    assert pool.healthy() == 3
    assert B in _picks(pool, 3)


def test_success_resets_the_failure_count() -> None:
    """``report(ok=True)`` resets the count: failures must be consecutive to eject."""
    pool, _ = _pool(max_fails=2)
    first = pool.instances[0]
    pool.report(first, ok=False)
    pool.report(first, ok=True)
    assert first.fails == 0
    pool.report(first, ok=False)
    assert first.ejected_until == 0.0
    assert pool.healthy() == 3


def test_panic_pick_when_all_are_ejected() -> None:
    """With every instance ejected, the one whose ejection ends first is picked."""
    pool, clock = _pool(max_fails=1, fail_timeout=10.0)
    for offset, instance in zip((3.0, 1.0, 2.0), pool.instances, strict=True):
        clock.now = 100.0 + offset
        pool.report(instance, ok=False)
    clock.now = 105.0
    assert pool.healthy() == 0
    assert _picks(pool, 3) == [B, B, B]


# --------------------------------------------------------------------------- RouteTable


def _table(*prefixes: str) -> RouteTable:
    return RouteTable(RouteConfig(prefix=prefix, upstreams=[A]) for prefix in prefixes)


@pytest.mark.parametrize(
    ("path", "label"),
    [
        (b"/users", "users"),
        (b"/users/", "users"),
        (b"/users/123", "users"),
        (b"/users/123/avatar", "users"),
        (b"/users/admin", "users"),
        (b"/orders/1", "orders"),
        (b"/usersX", None),
        (b"/users-x/1", None),
        (b"/users.json", None),
        (b"/users@evil/x", None),
        (b"/user", None),
        (b"/Users/1", None),
        (b"//users", None),
        (b"/", None),
        (b"", None),
    ],
)
def test_prefix_matches_at_segment_boundary(path: bytes, label: str | None) -> None:
    """A prefix matches itself or what follows a "/", never a longer segment."""
    route = _table("/users", "/orders").match(path)
    assert (route.label if route else None) == label


@pytest.mark.parametrize(
    ("path", "prefix"),
    [
        (b"/api/v1/users/1", "/api/v1/users"),
        (b"/api/v1/users", "/api/v1/users"),
        (b"/api/v1/usersX", "/api/v1"),
        (b"/api/v1/orders", "/api/v1"),
        (b"/api/v2", "/api"),
        (b"/api", "/api"),
    ],
)
def test_longest_prefix_wins(path: bytes, prefix: str) -> None:
    """Of several matching prefixes the longest wins, whatever the configuration order."""
    configs = [
        RouteConfig(prefix="/api", upstreams=[A], name="api"),
        RouteConfig(prefix="/api/v1/users", upstreams=[B], name="users"),
        RouteConfig(prefix="/api/v1", upstreams=[C], name="v1"),
    ]
    route = RouteTable(configs).match(path)
    assert route is not None
    assert route.config.prefix == prefix
    assert route.prefix == prefix.encode()


def test_route_pool_follows_its_config() -> None:
    """Each route gets a pool of its upstreams with its health settings."""
    config = RouteConfig(prefix="/echo", upstreams=[A, B], max_fails=4, fail_timeout=3.0)
    (route,) = RouteTable([config]).routes
    assert [instance.url for instance in route.pool.instances] == [A, B]
    assert (route.pool.max_fails, route.pool.fail_timeout) == (4, 3.0)
    assert route.label == "echo"


def test_route_table_clock_reaches_the_pools() -> None:
    """The table's clock is the pools' clock (ejections measured on it)."""
    clock = Clock()
    table = RouteTable([RouteConfig(prefix="/echo", upstreams=[A], max_fails=1)], clock=clock)
    pool = table.routes[0].pool
    pool.report(pool.instances[0], ok=False)
    assert pool.instances[0].ejected_until == clock.now + 10.0


def test_by_label() -> None:
    """A route is found by its label; an unknown label is None."""
    table = _table("/users", "/orders/v2")
    found = table.by_label("orders")
    assert found is not None
    assert found.config.prefix == "/orders/v2"
    assert table.by_label("nope") is None


def test_empty_table_matches_nothing() -> None:
    """A table without routes matches no path."""
    assert RouteTable([]).match(b"/users") is None
