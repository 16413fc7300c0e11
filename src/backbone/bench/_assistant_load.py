"""The load of ``backbone bench assistant``: accounts, users submitting and reading tasks, batches.

Every request leaves from the run's own loopback address (see
:mod:`backbone.bench._assistant_stack`). :func:`make_accounts` registers and logs in the
users and uploads each one's dataset (:data:`~backbone.bench._crew_baseline.DATASET`,
the table the baseline analyses). :func:`user_load` then runs them: each submits an
analysis of its dataset (``POST /v1/tasks``, 202), reads that task ``status_reads``
times (``GET /v1/tasks/{task_id}``, 200), and starts over, pausing ``think`` seconds
after each answer; requests sent during the warm-up are not counted, any other status,
a refused connection or a 10-second timeout is an error.

:class:`TaskCounts` reads, through the API and as the admin, how many tasks are complete
and failed (``GET /v1/tasks?status=...``, the page's ``total``): a batch is timed from its
first submission until the API shows it complete.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import time
from dataclasses import dataclass

import aiohttp
import httpx

from backbone.bench._crew_baseline import DATASET, DATASET_NAME
from backbone.bench._reports_load import Samples, UserLoad

__all__ = [
    "GET_TASK",
    "SUBMIT",
    "Account",
    "TaskCounts",
    "make_accounts",
    "submit_tasks",
    "user_load",
]

SUBMIT = "POST /v1/tasks"
GET_TASK = "GET /v1/tasks/{task_id}"
TIMEOUT_SECONDS = 10.0
SETUP_CONNECTIONS = 8
PASSWORD = "bench-password-not-secret"  # noqa: S105 - accounts of a throwaway database


@dataclass(frozen=True, slots=True)
class Account:
    """A user of the run: email, id, access token, and the dataset it uploaded."""

    email: str
    user_id: str
    token: str
    dataset_id: str

    @property
    def headers(self) -> dict[str, str]:
        """The bearer token."""
        return {"Authorization": f"Bearer {self.token}"}

    @property
    def task(self) -> dict[str, object]:
        """An analysis of the account's dataset."""
        return {"type": "analysis", "input": {"dataset_id": self.dataset_id}}


def _session(address: str, connections: int) -> aiohttp.ClientSession:
    return aiohttp.ClientSession(
        connector=aiohttp.TCPConnector(limit=connections, local_addr=(address, 0)),
        timeout=aiohttp.ClientTimeout(total=TIMEOUT_SECONDS),
        cookie_jar=aiohttp.DummyCookieJar(),
    )


async def _expect(response: aiohttp.ClientResponse, status: int, what: str) -> dict[str, str]:
    body = await response.read()
    if response.status != status:
        raise RuntimeError(f"{what}: {response.status} {body[:300]!r}")
    answer: dict[str, str] = json.loads(body)
    return answer


async def _account(session: aiohttp.ClientSession, base_url: str, email: str) -> Account:
    """Register ``email``, log in, upload the dataset."""
    credentials = {"email": email, "password": PASSWORD}
    async with session.post(f"{base_url}/v1/auth/register", json=credentials) as response:
        user = await _expect(response, 201, f"registering {email}")
    form = {"grant_type": "password", "username": email, "password": PASSWORD}
    async with session.post(f"{base_url}/v1/auth/token", data=form) as response:
        token = (await _expect(response, 200, f"logging in {email}"))["access_token"]
    upload = aiohttp.FormData()
    upload.add_field("file", DATASET, filename=DATASET_NAME, content_type="text/csv")
    headers = {"Authorization": f"Bearer {token}"}
    async with session.post(f"{base_url}/v1/datasets", data=upload, headers=headers) as response:
        dataset = await _expect(response, 201, f"uploading {email}'s dataset")
    return Account(email, str(user["user_id"]), token, str(dataset["dataset_id"]))


async def _accounts(base_url: str, address: str, emails: list[str]) -> list[Account]:
    gate = asyncio.Semaphore(SETUP_CONNECTIONS)
    async with _session(address, SETUP_CONNECTIONS) as session:

        async def one(email: str) -> Account:
            async with gate:
                return await _account(session, base_url, email)

        return list(await asyncio.gather(*(one(email) for email in emails)))


def make_accounts(base_url: str, address: str, emails: list[str]) -> list[Account]:
    """An account per email, logged in, with its dataset; RuntimeError if any step fails."""
    return asyncio.run(_accounts(base_url, address, emails))


class _Users:
    """The state the users share: the session, the clock, the samples."""

    def __init__(self, session: aiohttp.ClientSession, base_url: str, load: UserLoad) -> None:
        self.session = session
        self.base_url = base_url
        self.load = load
        self.samples = {SUBMIT: Samples(), GET_TASK: Samples()}
        self.measure_from = time.perf_counter() + load.warmup
        self.deadline = self.measure_from + load.duration

    async def timed(
        self, endpoint: str, account: Account, path: str, expect: int
    ) -> dict[str, str] | None:
        """Send one request and record it under ``endpoint``; None past the deadline,
        ``{}`` for an error."""
        sent = time.perf_counter()
        if sent >= self.deadline:
            return None
        method = "POST" if endpoint == SUBMIT else "GET"
        body = account.task if endpoint == SUBMIT else None
        answer: dict[str, str] = {}
        try:
            url = self.base_url + path
            async with self.session.request(
                method, url, json=body, headers=account.headers
            ) as response:
                answer = await _expect(response, expect, endpoint)
        except (aiohttp.ClientError, TimeoutError, RuntimeError, ValueError):
            answer = {}
        if sent >= self.measure_from:
            samples = self.samples[endpoint]
            samples.latencies_ms.append((time.perf_counter() - sent) * 1000)
            samples.errors += not answer
        return answer

    async def pause(self) -> None:
        if self.load.think:
            await asyncio.sleep(self.load.think)

    async def user(self, number: int, account: Account) -> None:
        """Submit, read the task, start over, until the deadline."""
        # Spread the users over one pause, so that they do not move in lockstep.
        await asyncio.sleep(self.load.think * number / self.load.users)
        task_id: str | None = None
        while True:
            answer = await self.timed(SUBMIT, account, "/v1/tasks", 202)
            if answer is None:
                return
            task_id = answer.get("task_id") or task_id
            await self.pause()
            for _ in range(self.load.status_reads if task_id else 0):
                path = f"/v1/tasks/{task_id}"
                if await self.timed(GET_TASK, account, path, 200) is None:
                    return
                await self.pause()


async def _user_load(
    base_url: str, address: str, accounts: list[Account], load: UserLoad
) -> dict[str, Samples]:
    async with _session(address, load.users) as session:
        users = _Users(session, base_url, load)
        await asyncio.gather(*(users.user(n, account) for n, account in enumerate(accounts)))
    return users.samples


def user_load(
    base_url: str, address: str, accounts: list[Account], load: UserLoad
) -> dict[str, Samples]:
    """Run one user per account against the API; samples by endpoint (SUBMIT, GET_TASK)."""
    return asyncio.run(_user_load(base_url, address, accounts, load))


async def _submit_tasks(
    base_url: str, address: str, accounts: list[Account], count: int
) -> list[str]:
    task_ids: list[str] = []
    turns = iter(zip(range(count), itertools.cycle(accounts), strict=False))
    async with _session(address, len(accounts)) as session:

        async def submitter() -> None:
            for _, account in turns:
                try:
                    async with session.post(
                        f"{base_url}/v1/tasks", json=account.task, headers=account.headers
                    ) as response:
                        task_ids.append((await _expect(response, 202, SUBMIT))["task_id"])
                except (aiohttp.ClientError, TimeoutError, RuntimeError, ValueError):
                    continue

        await asyncio.gather(*(submitter() for _ in range(min(count, len(accounts)))))
    return task_ids


def submit_tasks(base_url: str, address: str, accounts: list[Account], count: int) -> list[str]:
    """Submit ``count`` analyses, the accounts taking turns, one connection each; the ids
    of those accepted."""
    return asyncio.run(_submit_tasks(base_url, address, accounts, count))


class TaskCounts:
    """How many tasks the API shows complete or failed, asked as the admin (who sees all)."""

    def __init__(self, base_url: str, address: str, admin: Account) -> None:
        transport = httpx.HTTPTransport(local_address=address)
        self._client = httpx.Client(
            base_url=base_url, transport=transport, headers=admin.headers, timeout=TIMEOUT_SECONDS
        )

    def count(self, status: str) -> int:
        """Tasks in ``status`` (``complete``, ``failed``...)."""
        response = self._client.get("/v1/tasks", params={"status": status, "limit": 1})
        response.raise_for_status()
        return int(response.json()["total"])

    def complete(self) -> int:
        """Tasks complete."""
        return self.count("complete")

    def failed(self) -> int:
        """Tasks failed."""
        return self.count("failed")

    def close(self) -> None:
        """Close the connection."""
        self._client.close()
