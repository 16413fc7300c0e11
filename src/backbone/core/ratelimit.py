"""Rate limiting for any service: a token bucket per key, kept in Redis.

Each key (a client address, an account, a user) has a bucket of ``burst`` tokens that
refills at ``rate`` tokens per second; a request spends ``cost`` tokens or is refused.
The bucket lives in Redis and is read, refilled, spent and written back by one Lua
script, so any number of replicas behind a load balancer share one limit, concurrent
requests cannot both spend the last token, and the refill uses the Redis server's clock
(``TIME``) rather than each replica's, so replicas with skewed clocks still agree. Idle
buckets expire once they would be full again; a missing bucket *is* a full one.

Errors::

    Exception
     └── RateLimiterUnavailable   Redis could not be asked (refused, timed out, failed)

What happens when Redis is down is the caller's decision, and this module logs
``ratelimit_unavailable`` once per failed call. The gateway **fails open** (refusing all
traffic because the limiter's store is unreachable would turn a Redis outage into a
full gateway outage); the assistant's login limit **fails closed** (without it, password
guessing is unlimited). The wait on a hung server is bounded by the client's
``socket_timeout``: give the limiter's Redis client a short one.

Response headers follow the IETF httpapi ``ratelimit-headers`` draft in its widely
deployed form (``RateLimit-Limit``, ``-Remaining``, ``-Reset``; draft-06), plus
``Retry-After`` (RFC 9110) when a request is refused.
"""

from __future__ import annotations

import hashlib
import logging
import math
from dataclasses import dataclass

from redis.asyncio import Redis
from redis.exceptions import RedisError

__all__ = ["RateDecision", "RateLimiter", "RateLimiterUnavailable", "rate_limit_headers"]

logger = logging.getLogger(__name__)

DEFAULT_PREFIX = "backbone:ratelimit:"
"""Where buckets live unless a limiter names its own prefix (each user of it should)."""

# KEYS[1]: the bucket, a hash {tokens, ts}. ARGV: rate (tokens/s), burst, cost, ttl (ms).
# Times are in microseconds from the server's clock; a missing bucket is a full one.
# Returns integers only (Lua numbers are truncated on the way out): allowed (1/0),
# whole tokens remaining, microseconds until `cost` tokens, microseconds until full.
_BUCKET_SCRIPT = """
local rate = tonumber(ARGV[1])
local burst = tonumber(ARGV[2])
local cost = tonumber(ARGV[3])
local clock = redis.call('TIME')
local now = tonumber(clock[1]) * 1000000 + tonumber(clock[2])
local state = redis.call('HMGET', KEYS[1], 'tokens', 'ts')
local tokens = tonumber(state[1])
local ts = tonumber(state[2])
if tokens == nil or ts == nil then
  tokens = burst
  ts = now
end
-- max(0, ...): after a failover the new primary's clock may be behind the old one's.
tokens = math.min(burst, tokens + math.max(0, now - ts) * rate / 1000000)
local allowed = 0
local retry_us = 0
if tokens >= cost then
  tokens = tokens - cost
  allowed = 1
else
  retry_us = math.ceil((cost - tokens) * 1000000 / rate)
end
redis.call('HSET', KEYS[1], 'tokens', tokens, 'ts', now)
redis.call('PEXPIRE', KEYS[1], ARGV[4])
local reset_us = math.ceil((burst - tokens) * 1000000 / rate)
return {allowed, math.floor(tokens), retry_us, reset_us}
"""


class RateLimiterUnavailable(Exception):
    """Redis could not be asked; the caller decides (fail open or closed)."""


@dataclass(frozen=True, slots=True)
class RateDecision:
    """What the limiter decided for one request.

    ``retry_after``: seconds until ``cost`` tokens are available (0 when allowed).
    ``reset_after``: seconds until the bucket is full again.
    """

    allowed: bool
    remaining: int
    retry_after: float
    limit: int
    reset_after: float


class RateLimiter:
    """A token bucket per key, shared through Redis by every replica that uses it.

    ``rate`` tokens per second refill a bucket that holds at most ``burst``. Replicas
    share a limit when they use the same Redis, ``prefix``, ``rate`` and ``burst``.
    """

    def __init__(
        self,
        redis: Redis,
        *,
        rate: float,
        burst: int,
        prefix: str = DEFAULT_PREFIX,
    ) -> None:
        if not (math.isfinite(rate) and rate > 0):
            raise ValueError(f"rate must be a positive number of tokens per second, got {rate!r}")
        if burst < 1:
            raise ValueError(f"burst must be at least 1, got {burst!r}")
        self.rate = rate
        self.burst = burst
        self.prefix = prefix
        # An untouched bucket is full after this long, and a full bucket is no bucket.
        self._ttl_ms = max(1, math.ceil(burst * 1000 / rate))
        self._script = redis.register_script(_BUCKET_SCRIPT)

    def bucket_key(self, key: str) -> str:
        """The Redis key for a key: prefix + a hash, safe and bounded for any string.

        Hashing also keeps client addresses and emails out of Redis (``KEYS`` shows neither).
        """
        raw = key.encode("utf-8", "surrogatepass")
        return self.prefix + hashlib.blake2b(raw, digest_size=16).hexdigest()

    async def acquire(self, key: str, cost: int = 1) -> RateDecision:
        """Spend ``cost`` tokens from ``key``'s bucket if it holds them.

        Raises ``ValueError`` for a cost outside ``1..burst`` (more could never be
        allowed) and ``RateLimiterUnavailable`` when Redis fails.
        """
        if not 1 <= cost <= self.burst:
            raise ValueError(f"cost must be between 1 and burst ({self.burst}), got {cost!r}")
        try:
            reply = await self._script(
                keys=[self.bucket_key(key)],
                args=[repr(self.rate), self.burst, cost, self._ttl_ms],
            )
        except RedisError as exc:
            logger.warning("ratelimit_unavailable error=%r", exc)
            raise RateLimiterUnavailable(f"rate limiter store unavailable: {exc}") from exc
        allowed, remaining, retry_us, reset_us = (int(value) for value in reply)
        return RateDecision(
            allowed=bool(allowed),
            remaining=remaining,
            retry_after=retry_us / 1_000_000,
            limit=self.burst,
            reset_after=reset_us / 1_000_000,
        )


def rate_limit_headers(decision: RateDecision) -> list[tuple[bytes, bytes]]:
    """ASGI response headers (lower-case names) describing ``decision``.

    ``ratelimit-reset`` and ``retry-after`` are whole seconds rounded up, so a client
    that waits as told finds the tokens there; ``retry-after`` (only on refusal) is at
    least 1, since 0 would invite an immediate, equally refused retry.
    """
    headers = [
        (b"ratelimit-limit", b"%d" % decision.limit),
        (b"ratelimit-remaining", b"%d" % decision.remaining),
        (b"ratelimit-reset", b"%d" % math.ceil(decision.reset_after)),
    ]
    if not decision.allowed:
        headers.append((b"retry-after", b"%d" % max(1, math.ceil(decision.retry_after))))
    return headers
