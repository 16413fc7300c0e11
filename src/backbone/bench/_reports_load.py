"""The load of ``backbone bench reports``: users submitting and following jobs; job batches.

:func:`user_load` runs ``users`` asyncio tasks on one aiohttp pool. Each user submits
a job (``POST /generate-report``, 202), reads that job's status ``status_reads`` times
(``GET /reports/{job_id}/status``, 200), and starts over, pausing ``think`` seconds
after each answer (0: a closed loop, the next request as soon as the answer is in).
Requests sent during the warm-up are not counted; any other status, a refused
connection or a 10-second timeout is an error.

:func:`submit_jobs` posts a batch of jobs with a number of connections, and
:func:`wait_until` polls a count until it reaches a target: together they time a
batch of jobs end to end, submission to completion. :class:`JobPaths` does so for
our jobs (the API, then the job table, polled) and for the baseline's tasks
(``.delay()``, then the Redis counter, polled alike).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

import aiohttp
import redis

from backbone.bench._celery import NOOP, bare_celery
from backbone.bench._naive import result_key
from backbone.bench._reports_stack import JobTable, Rig

__all__ = [
    "STATUS",
    "SUBMIT",
    "Batch",
    "JobPaths",
    "Samples",
    "UserLoad",
    "Waited",
    "job_paths",
    "submit_jobs",
    "user_load",
    "wait_until",
]

SUBMIT = "/generate-report"
STATUS = "/reports/{job_id}/status"
TIMEOUT_SECONDS = 10.0


@dataclass
class Samples:
    """What one endpoint answered in the measured window: latencies (ms) and errors."""

    latencies_ms: list[float] = field(default_factory=list)
    errors: int = 0


@dataclass(frozen=True, slots=True)
class UserLoad:
    """How many users, for how long (seconds), how they pause, how often they read status."""

    users: int
    warmup: float
    duration: float
    think: float = 0.0
    status_reads: int = 3


def _session(connections: int) -> aiohttp.ClientSession:
    return aiohttp.ClientSession(
        connector=aiohttp.TCPConnector(limit=connections),
        timeout=aiohttp.ClientTimeout(total=TIMEOUT_SECONDS),
        cookie_jar=aiohttp.DummyCookieJar(),
    )


async def _request(
    session: aiohttp.ClientSession, method: str, url: str, expect: int
) -> tuple[bool, bytes]:
    """Send one request: whether it got ``expect``, and the body."""
    body = {"title": "bench"} if method == "POST" else None
    try:
        async with session.request(method, url, json=body) as response:
            return response.status == expect, await response.read()
    except (aiohttp.ClientError, TimeoutError):
        return False, b""


def _job_id(body: bytes) -> str | None:
    try:
        job_id = json.loads(body)["job_id"]
    except (ValueError, KeyError, TypeError):
        return None
    return job_id if isinstance(job_id, str) else None


class _Users:
    """The state the users share: the clock, the samples."""

    def __init__(self, session: aiohttp.ClientSession, base_url: str, load: UserLoad) -> None:
        self.session = session
        self.base_url = base_url
        self.load = load
        self.samples = {SUBMIT: Samples(), STATUS: Samples()}
        self.measure_from = time.perf_counter() + load.warmup
        self.deadline = self.measure_from + load.duration

    async def timed(self, endpoint: str, method: str, path: str, expect: int) -> bytes | None:
        """Send a request and record it under ``endpoint``; None when past the deadline."""
        sent = time.perf_counter()
        if sent >= self.deadline:
            return None
        ok, body = await _request(self.session, method, self.base_url + path, expect)
        if sent >= self.measure_from:
            samples = self.samples[endpoint]
            samples.latencies_ms.append((time.perf_counter() - sent) * 1000)
            samples.errors += not ok
        return body if ok else b""

    async def pause(self) -> None:
        if self.load.think:
            await asyncio.sleep(self.load.think)

    async def user(self, number: int) -> None:
        """Submit, follow the job, start over, until the deadline."""
        # Spread the users over one pause, so that they do not move in lockstep.
        await asyncio.sleep(self.load.think * number / self.load.users)
        job_id: str | None = None
        while True:
            body = await self.timed(SUBMIT, "POST", SUBMIT, 202)
            if body is None:
                return
            job_id = _job_id(body) or job_id
            await self.pause()
            for _ in range(self.load.status_reads if job_id else 0):
                if await self.timed(STATUS, "GET", STATUS.format(job_id=job_id), 200) is None:
                    return
                await self.pause()


async def _user_load(base_url: str, load: UserLoad) -> dict[str, Samples]:
    async with _session(load.users) as session:
        users = _Users(session, base_url, load)
        await asyncio.gather(*(users.user(number) for number in range(load.users)))
    return users.samples


def user_load(base_url: str, load: UserLoad) -> dict[str, Samples]:
    """Run the users against the API at ``base_url``; samples by endpoint (SUBMIT, STATUS)."""
    return asyncio.run(_user_load(base_url, load))


async def _submit_jobs(base_url: str, count: int, connections: int) -> list[str]:
    job_ids: list[str] = []
    remaining = iter(range(count))
    async with _session(connections) as session:

        async def submitter() -> None:
            for _ in remaining:
                ok, body = await _request(session, "POST", base_url + SUBMIT, 202)
                job_id = _job_id(body) if ok else None
                if job_id is not None:
                    job_ids.append(job_id)

        await asyncio.gather(*(submitter() for _ in range(min(count, connections))))
    return job_ids


def submit_jobs(base_url: str, count: int, *, connections: int) -> list[str]:
    """Submit ``count`` jobs over ``connections`` connections; the ids of those accepted."""
    return asyncio.run(_submit_jobs(base_url, count, connections))


@dataclass(frozen=True, slots=True)
class Waited:
    """Where a count got to, and when (``perf_counter``) it last moved."""

    value: int
    at: float


def wait_until(
    read: Callable[[], int],
    target: int,
    *,
    check: Callable[[], None] = lambda: None,
    stall: float = 30.0,
    interval: float = 0.01,
    clock: Callable[[], float] = time.perf_counter,
    sleep: Callable[[float], None] = time.sleep,
) -> Waited:
    """Poll ``read`` until it reaches ``target``, or has not moved for ``stall`` seconds.

    ``check`` runs before each read and may raise (a process that died).
    """
    last = Waited(read(), clock())
    while last.value < target:
        sleep(interval)
        check()
        value, now = read(), clock()
        if value != last.value:
            last = Waited(value, now)
        elif now - last.at > stall:
            break
    return last


def _per_second(count: int, seconds: float) -> float:
    return count / seconds if seconds > 0 else 0.0


@dataclass(frozen=True, slots=True)
class Batch:
    """One batch of jobs, end to end."""

    done: int
    """Jobs that ran to completion."""
    seconds: float
    """From the first submission until the last job finished."""
    submit_seconds: float
    """From the first submission until the last was handed over."""
    errors: int
    """Jobs refused, failed, or not finished when the count stopped moving."""

    @property
    def rate(self) -> float:
        """Jobs finished per second, end to end."""
        return _per_second(self.done, self.seconds)

    @property
    def submit_rate(self) -> float:
        """Jobs handed over per second while submitting."""
        return _per_second(self.done, self.submit_seconds)


class ResultWatch:
    """Which of a batch's tasks Celery's Redis backend has a result for (``MGET`` of the
    ones still missing, so each poll costs less as the batch finishes)."""

    def __init__(self, client: redis.Redis, task_ids: list[str], *, prefix: str) -> None:
        self._client = client
        self._prefix = prefix
        self._pending = list(task_ids)
        self.done = 0
        self.failed = 0

    def finished(self) -> int:
        """Tasks with a result (success or failure) so far."""
        if self._pending:
            keys = [result_key(self._prefix, task_id) for task_id in self._pending]
            values = self._client.mget(keys)
            still: list[str] = []
            for task_id, value in zip(self._pending, values, strict=True):
                if value is None:
                    still.append(task_id)
                elif json.loads(value).get("status") != "SUCCESS":
                    self.failed += 1
            self.done += len(self._pending) - len(still)
            self._pending = still
        return self.done


@dataclass
class JobPaths:
    """How to push a batch of jobs through ours, the naive peer and bare Celery, and time it."""

    api_url: str
    table: JobTable
    counter: redis.Redis
    counter_key: str
    delay: Callable[[], object]
    connections: int
    ours_alive: Callable[[], None]
    bare_alive: Callable[[], None]
    naive_url: str
    naive_alive: Callable[[], None]
    naive_prefix: str

    def ours(self, count: int) -> Batch:
        """Submit ``count`` jobs through the API; time them until the job table has them all."""
        mark = self.table.mark()
        started = time.perf_counter()
        accepted = submit_jobs(self.api_url, count, connections=self.connections)
        submitted = time.perf_counter()
        waited = wait_until(
            lambda: self.table.finished(after=mark), len(accepted), check=self.ours_alive
        )
        failures = self.table.failed(after=mark)
        # Refused at submission, never finished, or failed.
        errors = count - waited.value + failures
        return Batch(waited.value - failures, waited.at - started, submitted - started, errors)

    def naive(self, count: int) -> Batch:
        """Submit ``count`` jobs through the naive API; time them until the backend has them all."""
        started = time.perf_counter()
        accepted = submit_jobs(self.naive_url, count, connections=self.connections)
        submitted = time.perf_counter()
        results = ResultWatch(self.counter, accepted, prefix=self.naive_prefix)
        waited = wait_until(results.finished, len(accepted), check=self.naive_alive)
        errors = count - waited.value + results.failed
        done = waited.value - results.failed
        return Batch(done, waited.at - started, submitted - started, errors)

    def bare(self, count: int) -> Batch:
        """``.delay()`` ``count`` no-op tasks; time them until the counter says they all ran."""
        self.counter.delete(self.counter_key)
        started = time.perf_counter()
        for _ in range(count):
            self.delay()
        submitted = time.perf_counter()
        waited = wait_until(
            lambda: int(self.counter.get(self.counter_key) or 0), count, check=self.bare_alive
        )
        return Batch(waited.value, waited.at - started, submitted - started, count - waited.value)


@contextlib.contextmanager
def job_paths(rig: Rig, table: JobTable, api_url: str, *, connections: int) -> Iterator[JobPaths]:
    """Start our zero-duration worker, the naive peer and the baseline's; the paths through them."""
    ours = rig.worker("zero", 0)
    bare = rig.bare_worker()
    naive = rig.naive_worker()
    naive_url = rig.naive_api()
    names, redis_url = rig.names, rig.stores.redis_url
    publisher = bare_celery(broker=redis_url, queue=names.bare_queue, counter=names.counter)
    counter = redis.Redis.from_url(redis_url)
    try:
        yield JobPaths(
            api_url=api_url,
            table=table,
            counter=counter,
            counter_key=names.counter,
            delay=publisher.tasks[NOOP].delay,
            connections=connections,
            ours_alive=ours.check_running,
            bare_alive=bare.check_running,
            naive_url=naive_url,
            naive_alive=naive.check_running,
            naive_prefix=names.naive_prefix,
        )
    finally:
        counter.close()
        publisher.close()
