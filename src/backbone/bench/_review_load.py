"""The load of ``backbone bench review``: signed webhook deliveries, and the floor beside them.

Two shapes of load, each for ``warmup`` + ``seconds`` seconds, only requests sent after
the warm-up timed: a closed loop (``users`` clients, each on a connection of its own,
send one request after another with no pause: the server's capacity), and bursts
(``users`` requests sent at once, all answers awaited, a pause of :data:`BURST_PAUSE`,
again: what a server sees when GitHub delivers a batch of events together).
:func:`delivery_load` sends ``pull_request`` deliveries signed as GitHub
signs them (``X-Hub-Signature-256`` over the exact bytes sent), each with a fresh
``X-GitHub-Delivery`` and a pull request number and head of its own, so that each one
makes a new review (answered 202 ``queued``) and none supersedes another.
:func:`floor_load` sends ``GET /healthz`` the same way: the same server's floor.

Every delivery answered ``queued``, warm-up included, is kept (:class:`Acked`) for the
ledger (:mod:`backbone.bench._review_ledger`). Any other answer, no answer within 10 s,
or a refused connection is an error.
"""

from __future__ import annotations

import asyncio
import hashlib
import itertools
import json
import time
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

import aiohttp

from backbone.bench._reports_load import Samples
from backbone.review.webhook import sign

__all__ = [
    "BURST_PAUSE",
    "DELIVERIES",
    "FIRST_NUMBER",
    "FLOOR",
    "Acked",
    "DeliveryLoad",
    "DeliveryTemplate",
    "Window",
    "delivery_headers",
    "delivery_load",
    "floor_load",
    "head_of",
]

DELIVERIES = "POST /webhooks/github"
FLOOR = "GET /healthz"
TIMEOUT_SECONDS = 10.0
BURST_PAUSE = 0.2
"""Seconds between two bursts: the server is idle when the next one arrives."""
FIRST_NUMBER = 100_000
"""The load's pull request numbers start here, far from the fake GitHub's own."""
_NUMBER = 987_654_321
_HEAD = "0123456789abcdef0123456789abcdef01234567"
Send = Callable[[aiohttp.ClientSession], Awaitable[bool]]


@dataclass(frozen=True, slots=True)
class Window:
    """How many clients, for how long: ``warmup`` seconds untimed, then ``seconds``."""

    users: int
    warmup: float
    seconds: float
    bursts: bool = False
    """Send ``users`` requests at once, then pause (else: a closed loop)."""


@dataclass(frozen=True, slots=True)
class Acked:
    """A delivery the service answered 202 ``queued``, and the review it named."""

    delivery: str
    review_id: str


@dataclass
class DeliveryLoad:
    """What the deliveries got: the timed samples, how many were sent (warm-up included),
    and every delivery acknowledged."""

    samples: Samples = field(default_factory=Samples)
    sent: int = 0
    acked: list[Acked] = field(default_factory=list)


def head_of(token: str, number: int) -> str:
    """A head SHA of the run's own for pull request ``number`` (40 hex digits)."""
    return hashlib.sha1(f"{token}:{number}".encode(), usedforsecurity=False).hexdigest()


class DeliveryTemplate:
    """A ``pull_request`` delivery body (GitHub's, from the fake), with its pull request
    number and head SHA replaceable in the serialized bytes: no JSON work per request."""

    def __init__(self, body: dict[str, Any]) -> None:
        pull = body["pull_request"]
        stamped = {**body, "number": _NUMBER}
        stamped["pull_request"] = {
            **pull,
            "number": _NUMBER,
            "head": {**pull["head"], "sha": _HEAD},
        }
        raw = json.dumps(stamped, separators=(",", ":")).encode()
        if raw.count(_HEAD.encode()) != 1 or raw.count(str(_NUMBER).encode()) != 2:
            raise ValueError("the delivery body already holds the placeholders")
        self._raw = raw

    def render(self, number: int, head: str) -> bytes:
        """The body for pull request ``number`` at ``head``."""
        return self._raw.replace(str(_NUMBER).encode(), str(number).encode()).replace(
            _HEAD.encode(), head.encode()
        )


def delivery_headers(secret: bytes, body: bytes, delivery: str, event: str) -> dict[str, str]:
    """The headers GitHub sends with ``body``: type, event, delivery id, signature."""
    return {
        "Content-Type": "application/json",
        "User-Agent": "GitHub-Hookshot/backbone-bench",
        "X-GitHub-Event": event,
        "X-GitHub-Delivery": delivery,
        "X-Hub-Signature-256": sign(secret, body),
    }


def _session(connections: int) -> aiohttp.ClientSession:
    return aiohttp.ClientSession(
        connector=aiohttp.TCPConnector(limit=connections),
        timeout=aiohttp.ClientTimeout(total=TIMEOUT_SECONDS),
        cookie_jar=aiohttp.DummyCookieJar(),
    )


async def _closed_loop(window: Window, send: Send) -> tuple[Samples, int]:
    """``window.users`` clients calling ``send`` until the window ends; the timed samples,
    and how many requests were sent in all (warm-up included)."""
    samples = Samples()
    sent_in_all = 0
    measure_from = time.perf_counter() + window.warmup
    deadline = measure_from + window.seconds

    async def client(session: aiohttp.ClientSession) -> None:
        nonlocal sent_in_all
        while (sent := time.perf_counter()) < deadline:
            sent_in_all += 1
            try:
                answered = await send(session)
            except (aiohttp.ClientError, TimeoutError, ValueError, KeyError):
                answered = False
            if sent >= measure_from:
                samples.latencies_ms.append((time.perf_counter() - sent) * 1000)
                samples.errors += not answered

    async with _session(window.users) as session:
        await asyncio.gather(*(client(session) for _ in range(window.users)))
    return samples, sent_in_all


async def _in_bursts(window: Window, send: Send) -> tuple[Samples, int]:
    """``window.users`` calls of ``send`` at once, all awaited, a pause, again until the
    window ends; the timed samples, and how many requests were sent in all."""
    samples = Samples()
    sent_in_all = 0
    measure_from = time.perf_counter() + window.warmup
    deadline = measure_from + window.seconds

    async def one(session: aiohttp.ClientSession, timed: bool) -> None:
        sent = time.perf_counter()
        try:
            answered = await send(session)
        except (aiohttp.ClientError, TimeoutError, ValueError, KeyError):
            answered = False
        if timed:
            samples.latencies_ms.append((time.perf_counter() - sent) * 1000)
            samples.errors += not answered

    async with _session(window.users) as session:
        while (started := time.perf_counter()) < deadline:
            timed = started >= measure_from
            await asyncio.gather(*(one(session, timed) for _ in range(window.users)))
            sent_in_all += window.users
            await asyncio.sleep(BURST_PAUSE)
    return samples, sent_in_all


def _shape(window: Window) -> Callable[[Window, Send], Awaitable[tuple[Samples, int]]]:
    return _in_bursts if window.bursts else _closed_loop


async def _deliveries(
    url: str, secret: bytes, template: DeliveryTemplate, token: str, window: Window, first: int
) -> DeliveryLoad:
    load = DeliveryLoad()
    numbers = itertools.count(first)

    async def send(session: aiohttp.ClientSession) -> bool:
        number, delivery = next(numbers), str(uuid.uuid4())
        body = template.render(number, head_of(token, number))
        headers = delivery_headers(secret, body, delivery, "pull_request")
        async with session.post(f"{url}/webhooks/github", data=body, headers=headers) as answer:
            payload = await answer.read()
        if answer.status != 202:
            return False
        ack = json.loads(payload)
        if ack.get("outcome") != "queued":
            return False
        load.acked.append(Acked(delivery, str(ack["review_id"])))
        return True

    load.samples, load.sent = await _shape(window)(window, send)
    return load


def delivery_load(
    url: str,
    *,
    secret: bytes,
    template: DeliveryTemplate,
    token: str,
    window: Window,
    first: int = FIRST_NUMBER,
) -> DeliveryLoad:
    """Signed deliveries to ``url``'s ``POST /webhooks/github`` for the window (see the
    module); ``token`` makes the heads the run's own; pull requests numbered from ``first``."""
    return asyncio.run(_deliveries(url, secret, template, token, window, first))


async def _floor(url: str, window: Window) -> tuple[Samples, int]:
    async def send(session: aiohttp.ClientSession) -> bool:
        async with session.get(f"{url}/healthz") as answer:
            await answer.read()
        return answer.status == 200

    return await _shape(window)(window, send)


def floor_load(url: str, window: Window) -> tuple[Samples, int]:
    """``GET /healthz`` on ``url`` for the window: the server's floor under the same load;
    the timed samples, and how many requests were sent in all."""
    return asyncio.run(_floor(url, window))
