"""The shared rate limiter (core) against a real Redis server."""

from __future__ import annotations

import asyncio
import math
import socket
from collections.abc import AsyncIterator

import pytest
import redis.exceptions
from redis.asyncio import Redis

from backbone.core import create_redis
from backbone.core.ratelimit import RateLimiter, RateLimiterUnavailable

pytestmark = pytest.mark.integration

PREFIX = "test:ratelimit:"


@pytest.fixture
async def client(redis_url: str) -> AsyncIterator[Redis]:
    """An asyncio client on this test's own Redis database."""
    conn = create_redis(redis_url)
    try:
        yield conn
    finally:
        await conn.aclose()


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    return port


async def test_burst_allowed_then_refused(client: Redis) -> None:
    """A full bucket allows `burst` requests, then refuses with the wait for one token."""
    limiter = RateLimiter(client, rate=2.0, burst=3, prefix=PREFIX)
    decisions = [await limiter.acquire("10.0.0.1") for _ in range(4)]
    assert [d.allowed for d in decisions] == [True, True, True, False]
    assert [d.remaining for d in decisions] == [2, 1, 0, 0]
    assert all(d.limit == 3 and d.retry_after == 0 for d in decisions[:3])
    refused = decisions[3]
    assert 0.3 < refused.retry_after <= 0.5  # one token at 2/s, less what trickled in
    assert 1.3 < refused.reset_after <= 1.5


async def test_cost_larger_than_tokens_waits_for_all_of_them(client: Redis) -> None:
    """retry_after counts the time until `cost` tokens are there, not just one."""
    limiter = RateLimiter(client, rate=1.0, burst=5, prefix=PREFIX)
    assert (await limiter.acquire("k", cost=4)).remaining == 1
    refused = await limiter.acquire("k", cost=3)
    assert not refused.allowed
    assert 1.8 < refused.retry_after <= 2.0  # two more tokens at 1/s
    assert refused.remaining == 1


async def test_bucket_refills_over_time(client: Redis) -> None:
    """Tokens come back at `rate` per second, up to `burst` and no further."""
    limiter = RateLimiter(client, rate=20.0, burst=5, prefix=PREFIX)
    assert (await limiter.acquire("k", cost=5)).allowed
    refused = await limiter.acquire("k")
    assert not refused.allowed
    assert 0 < refused.retry_after <= 0.05
    await asyncio.sleep(refused.retry_after + 0.01)
    assert (await limiter.acquire("k")).allowed
    await asyncio.sleep(0.3)  # 6 tokens' worth: the bucket is full again, capped at 5
    full = await limiter.acquire("k")
    assert full.allowed
    assert full.remaining == 4


async def test_two_replicas_share_one_bucket(redis_url: str) -> None:
    """Two limiters on separate connections to the same Redis draw from one bucket."""
    first, second = create_redis(redis_url), create_redis(redis_url)
    try:
        replica_a = RateLimiter(first, rate=0.01, burst=4, prefix=PREFIX)
        replica_b = RateLimiter(second, rate=0.01, burst=4, prefix=PREFIX)
        allowed = [
            (await replica.acquire("2001:db8::1")).allowed
            for replica in (replica_a, replica_b, replica_a, replica_b, replica_a)
        ]
        assert allowed == [True, True, True, True, False]
        assert not (await replica_b.acquire("2001:db8::1")).allowed
    finally:
        await first.aclose()
        await second.aclose()


async def test_different_keys_are_independent(client: Redis) -> None:
    """Draining one client's bucket leaves another's full."""
    limiter = RateLimiter(client, rate=0.01, burst=2, prefix=PREFIX)
    for _ in range(2):
        await limiter.acquire("192.0.2.1")
    assert not (await limiter.acquire("192.0.2.1")).allowed
    other = await limiter.acquire("192.0.2.2")
    assert other.allowed
    assert other.remaining == 1


async def test_prefixes_separate_limiters(client: Redis) -> None:
    """Limiters with different prefixes keep different buckets for the same key."""
    strict = RateLimiter(client, rate=0.01, burst=1, prefix="test:a:")
    loose = RateLimiter(client, rate=0.01, burst=1, prefix="test:b:")
    assert (await strict.acquire("k")).allowed
    assert not (await strict.acquire("k")).allowed
    assert (await loose.acquire("k")).allowed


async def test_odd_keys_are_safe_and_distinct(client: Redis) -> None:
    """Any string (IPv6, zone ids, spaces, newlines, lone surrogates, huge) is one safe key."""
    odd = ["", "::1", "fe80::1%eth0", "a b\r\n*1", "\udcff\x00", "x" * 10_000, "ü"]
    limiter = RateLimiter(client, rate=0.01, burst=1, prefix=PREFIX)
    for key in odd:
        assert (await limiter.acquire(key)).allowed
    for key in odd:
        assert not (await limiter.acquire(key)).allowed
    stored = sorted(k.decode() for k in await client.keys("*"))
    assert len(stored) == len(odd)
    for name in stored:
        assert name.startswith(PREFIX)
        suffix = name.removeprefix(PREFIX)
        assert len(suffix) == 32
        assert set(suffix) <= set("0123456789abcdef")


async def test_state_is_a_hash_that_expires(client: Redis) -> None:
    """The bucket is a hash (tokens, ts) with a TTL of about one full refill."""
    limiter = RateLimiter(client, rate=4.0, burst=8, prefix=PREFIX)
    await limiter.acquire("k")
    (name,) = await client.keys(f"{PREFIX}*")
    assert await client.type(name) == b"hash"
    assert set(await client.hkeys(name)) == {b"tokens", b"ts"}
    seconds, micros = await client.time()
    stamp = int(await client.hget(name, "ts"))
    assert 0 <= seconds * 1_000_000 + micros - stamp < 1_000_000  # the server's clock, in µs
    ttl = await client.pttl(name)
    assert 1_500 < ttl <= 2_000  # 8 tokens at 4/s: 2 s


async def test_idle_key_disappears(client: Redis) -> None:
    """A key left alone for a full refill is gone, and comes back as a full bucket."""
    limiter = RateLimiter(client, rate=100.0, burst=5, prefix=PREFIX)
    for _ in range(5):
        await limiter.acquire("k")
    (name,) = await client.keys(f"{PREFIX}*")
    await asyncio.sleep(0.1)
    assert await client.exists(name) == 0
    again = await limiter.acquire("k")
    assert again.allowed
    assert again.remaining == 4


async def test_concurrent_acquires_allow_exactly_burst(client: Redis) -> None:
    """100 simultaneous acquires against a bucket of 10 let exactly 10 through."""
    limiter = RateLimiter(client, rate=0.01, burst=10, prefix=PREFIX)
    decisions = await asyncio.gather(*(limiter.acquire("198.51.100.7") for _ in range(100)))
    assert sum(d.allowed for d in decisions) == 10
    assert sorted(d.remaining for d in decisions if d.allowed) == list(range(10))


async def test_script_reloaded_after_script_flush(client: Redis) -> None:
    """After SCRIPT FLUSH (a restart, a failover) the script is sent again and works."""
    limiter = RateLimiter(client, rate=0.01, burst=2, prefix=PREFIX)
    assert (await limiter.acquire("k")).allowed
    await client.script_flush()
    decision = await limiter.acquire("k")
    assert decision.allowed
    assert decision.remaining == 0


async def test_redis_unreachable_raises_unavailable() -> None:
    """A refused connection becomes RateLimiterUnavailable, with the Redis error as cause."""
    down = create_redis(f"redis://127.0.0.1:{_closed_port()}/0", socket_connect_timeout=0.5)
    try:
        limiter = RateLimiter(down, rate=1.0, burst=1)
        with pytest.raises(RateLimiterUnavailable) as caught:
            await limiter.acquire("k")
    finally:
        await down.aclose()
    assert isinstance(caught.value.__cause__, redis.exceptions.ConnectionError)


@pytest.mark.parametrize(
    ("rate", "burst"),
    [(0.0, 1), (-1.0, 1), (math.nan, 1), (math.inf, 1), (1.0, 0), (1.0, -5)],
)
async def test_invalid_options_are_refused(client: Redis, rate: float, burst: int) -> None:
    """rate must be a positive finite number and burst at least 1."""
    with pytest.raises(ValueError, match=r"rate|burst"):
        RateLimiter(client, rate=rate, burst=burst)


@pytest.mark.parametrize("cost", [0, -1, 4])
async def test_invalid_cost_is_refused(client: Redis, cost: int) -> None:
    """cost must be between 1 and burst (more could never be allowed)."""
    limiter = RateLimiter(client, rate=1.0, burst=3, prefix=PREFIX)
    with pytest.raises(ValueError, match="cost"):
        await limiter.acquire("k", cost=cost)
    assert await client.dbsize() == 0
