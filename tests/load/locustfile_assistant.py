"""Locust scenario "assistant": people using the agentic backend, end to end.

Each Locust user is a person with an account of their own: on start it registers, logs
in (the OAuth2 password flow) and uploads a small CSV dataset, and tries each of the
following once; then it goes on choosing among them at random, pausing 0.5 to 1.5 s
between tasks:

- **reads recommendations** (weight 6): ``GET /v1/recommendations?user_id=N`` for a
  user of the User Service, 200;
- **analyses its dataset** (weight 3): ``POST /v1/tasks`` (202), then follows the task's
  event stream, ``GET /v1/tasks/{id}/events``, to its ``end`` event; the stream is also
  reported on its own, as ``SSE /v1/tasks/[id]/events (to end)``: the time from
  opening the stream to the ``end`` event, which is how long a person watching waits
  for the analysis (a failure if the task does not end ``complete`` within the timeout);
- **approves an automation** (weight 1): submits ``{"type": "automation", "input":
  {"goal": "flag user 123 for follow-up"}}``, polls the task until it is
  ``awaiting-approval`` with a plan, approves it (``POST /v1/tasks/{id}/approve``) and
  polls until it is ``complete``. The two waits are reported as ``FLOW automation:
  submit to awaiting-approval`` and ``FLOW automation: approve to complete``.

Any other status, a timeout or a broken stream counts as a failure.

The assistant limits registrations and logins per client address and submissions per
user, and hashes passwords slowly on purpose: against ``backbone up`` with its defaults,
most users are refused (429) before they start. ``backbone bench locust`` (and ``make
bench``) starts an assistant of its own, with those limits raised and the Order
Service's orders seeded, and runs this file against it::

    backbone bench locust --users 20 --seconds 60 --out bench-results/manual

To run it by hand against a stack started with the limits raised (see
``backbone.bench._assistant_stack``)::

    locust -f tests/load/locustfile_assistant.py --headless -u 20 -r 5 -t 60s \\
        --host http://127.0.0.1:8002 --html assistant.html --csv assistant

Settings from the environment (all optional):

- ``BACKBONE_LOAD_REC_USERS``: the User Service ids to ask recommendations for, as
  ``123-125`` or ``123,124`` (default ``123-125``, the seeded ones);
- ``BACKBONE_LOAD_EMAIL_PREFIX``: the accounts' emails are ``PREFIX-N@example.com``
  (default: ``locust-`` and a random token);
- ``BACKBONE_LOAD_SOURCE_ADDRESS``: a loopback address to send from (``127.x.y.z``), so
  that the per-address limits count this run alone;
- ``BACKBONE_LOAD_TASK_TIMEOUT``: seconds a task may take to end (default 60).
"""

from __future__ import annotations

import itertools
import json
import os
import random
import time
import uuid
from typing import Any

from locust import HttpUser, between, task
from locust.exception import StopUser
from requests import Response
from requests.adapters import HTTPAdapter

PASSWORD = "locust-password-not-secret"
DATASET = "date,region,amount,units\n" + "".join(
    f"2026-01-{1 + day % 28:02d},{('north', 'south', 'east')[day % 3]},"
    f"{day * 10.5 + (700 if day % 11 == 7 else 0):.2f},{day % 7}\n"
    for day in range(40)
)
"""40 days of sales in three regions, with a few outliers: a second's work for ``local``."""
AUTOMATION_GOAL = "flag user 123 for follow-up"
STREAM = "SSE"
FLOW = "FLOW"
POLL_SECONDS = 0.25


def user_ids(text: str) -> list[int]:
    """``123-125`` or ``123,124`` (or both, comma-separated) as a list of ids."""
    ids: list[int] = []
    for part in text.split(","):
        low, _, high = part.strip().partition("-")
        ids.extend(range(int(low), int(high or low) + 1))
    if not ids:
        raise ValueError(f"no user ids in {text!r}")
    return ids


REC_USERS = user_ids(os.environ.get("BACKBONE_LOAD_REC_USERS", "123-125"))
EMAIL_PREFIX = os.environ.get("BACKBONE_LOAD_EMAIL_PREFIX") or f"locust-{uuid.uuid4().hex[:8]}"
SOURCE_ADDRESS = os.environ.get("BACKBONE_LOAD_SOURCE_ADDRESS", "")
TASK_TIMEOUT = float(os.environ.get("BACKBONE_LOAD_TASK_TIMEOUT", "60"))
_NUMBERS = itertools.count()


def _problem(response: Response) -> str:
    """The status and the problem's title and detail: no request id, so that Locust
    counts one failure many times rather than many failures once."""
    try:
        problem = response.json()
        return f"{response.status_code} {problem['title']}: {problem.get('detail', '')}"[:300]
    except (ValueError, KeyError, TypeError):
        return f"{response.status_code} {response.text[:200]}"


class _SourceAddress(HTTPAdapter):
    """Connections that leave from ``address`` (a loopback alias of the run's own)."""

    def __init__(self, address: str) -> None:
        self._address = address
        super().__init__()

    def init_poolmanager(self, *args: Any, **kwargs: Any) -> None:
        kwargs["source_address"] = (self._address, 0)
        super().init_poolmanager(*args, **kwargs)


class AssistantUser(HttpUser):
    """One person: an account, a dataset; recommendations, analyses, automations."""

    wait_time = between(0.5, 1.5)
    host = "http://127.0.0.1:8002"
    token = ""
    dataset_id = ""

    def on_start(self) -> None:
        """Register, log in, upload the dataset (a user that cannot stops); try each task."""
        if SOURCE_ADDRESS:
            self.client.mount("http://", _SourceAddress(SOURCE_ADDRESS))
        email = f"{EMAIL_PREFIX}-{next(_NUMBERS)}@example.com"
        credentials = {"email": email, "password": PASSWORD}
        self._expect("POST", "/v1/auth/register", 201, json=credentials)
        form = {"grant_type": "password", "username": email, "password": PASSWORD}
        self.token = self._expect("POST", "/v1/auth/token", 200, data=form)["access_token"]
        files = {"file": ("sales.csv", DATASET.encode(), "text/csv")}
        self.dataset_id = self._expect("POST", "/v1/datasets", 201, files=files)["dataset_id"]
        # Every user tries everything once, so that even a short run measures each.
        self.recommendations()
        self.analyse()
        self.automate()

    def _expect(
        self, method: str, path: str, status: int, *, name: str | None = None, **kwargs: Any
    ) -> dict[str, Any]:
        """One request, a failure unless it answers ``status``; its JSON body (``{}`` on
        failure; in ``on_start`` a failure stops the user)."""
        headers = {"Authorization": f"Bearer {self.token}"} if self.token else {}
        with self.client.request(
            method, path, name=name or path, headers=headers, catch_response=True, **kwargs
        ) as response:
            if response.status_code != status:
                response.failure(_problem(response))
                if not self.dataset_id:
                    raise StopUser
                return {}
            body: dict[str, Any] = response.json()
            return body

    def _record(self, kind: str, name: str, started: float, error: str | None) -> None:
        """Report a wait that is not one request (a stream to its end, a flow)."""
        self.environment.events.request.fire(
            request_type=kind,
            name=name,
            response_time=(time.perf_counter() - started) * 1000,
            response_length=0,
            exception=RuntimeError(error) if error else None,
            context={},
        )

    @task(6)
    def recommendations(self) -> None:
        """Recommendations for a user of the User Service."""
        user_id = random.choice(REC_USERS)
        path = f"/v1/recommendations?user_id={user_id}&limit=5"
        self._expect("GET", path, 200, name="/v1/recommendations")

    @task(3)
    def analyse(self) -> None:
        """Submit an analysis of the dataset and follow its events to the end."""
        body = {"type": "analysis", "input": {"dataset_id": self.dataset_id}}
        answer = self._expect("POST", "/v1/tasks", 202, json=body, name="/v1/tasks (analysis)")
        if answer:
            self._follow(answer["task_id"])

    def _follow(self, task_id: str) -> None:
        """Read the task's event stream to its ``end`` event (or the timeout)."""
        started = time.perf_counter()
        error = None
        try:
            end = self._stream_end(task_id, started + TASK_TIMEOUT)
            if end is None:
                error = f"no end event within {TASK_TIMEOUT:g} s"
            elif end.get("status") != "complete":
                error = f"ended {end.get('status')}: {end.get('error')}"
        except (OSError, ValueError) as exc:  # requests' errors are OSErrors
            error = f"stream broken: {exc!r}"
        self._record(STREAM, "/v1/tasks/[id]/events (to end)", started, error)

    def _stream_end(self, task_id: str, deadline: float) -> dict[str, Any] | None:
        """The ``end`` event's task, or None at the deadline."""
        with self.client.get(
            f"/v1/tasks/{task_id}/events",
            name="/v1/tasks/[id]/events",
            headers={"Authorization": f"Bearer {self.token}", "Accept": "text/event-stream"},
            stream=True,
            timeout=(5, TASK_TIMEOUT),
            catch_response=True,
        ) as response:
            if response.status_code != 200:
                response.failure(_problem(response))
                raise ValueError(f"events answered {response.status_code}")
            event = ""
            for line in response.iter_lines(decode_unicode=True):
                if time.perf_counter() > deadline:
                    return None
                if line.startswith("event:"):
                    event = line.partition(":")[2].strip()
                elif line.startswith("data:") and event == "end":
                    task_view: dict[str, Any] = json.loads(line.partition(":")[2])
                    return task_view
        raise ValueError("the stream closed without an end event")

    @task(1)
    def automate(self) -> None:
        """Submit an automation, wait for its plan, approve it, wait until it is done."""
        body = {"type": "automation", "input": {"goal": AUTOMATION_GOAL}}
        started = time.perf_counter()
        answer = self._expect("POST", "/v1/tasks", 202, json=body, name="/v1/tasks (automation)")
        if not answer:
            return
        task_id = answer["task_id"]
        error = self._wait(task_id, "awaiting-approval")
        self._record(FLOW, "automation: submit to awaiting-approval", started, error)
        if error:
            return
        approved = time.perf_counter()
        name = "/v1/tasks/[id]/approve"
        if self._expect("POST", f"/v1/tasks/{task_id}/approve", 200, name=name, json={}):
            error = self._wait(task_id, "complete")
            self._record(FLOW, "automation: approve to complete", approved, error)

    def _wait(self, task_id: str, status: str) -> str | None:
        """Poll the task until it is in ``status`` (None) or it cannot be (the reason)."""
        deadline = time.perf_counter() + TASK_TIMEOUT
        while time.perf_counter() < deadline:
            view = self._expect("GET", f"/v1/tasks/{task_id}", 200, name="/v1/tasks/[id]")
            current = view.get("status")
            if current == status:
                return None
            if current in ("complete", "failed", "cancelled", "awaiting-approval"):
                return f"{current} while waiting for {status}: {view.get('error')}"
            time.sleep(POLL_SECONDS)  # Locust's gevent makes this a cooperative sleep
        return f"not {status} within {TASK_TIMEOUT:g} s"
