"""A fake assistant API for httpx.MockTransport, as contracts/openapi/assistant.yaml says."""

from __future__ import annotations

import itertools
import json
from collections.abc import Callable, Iterator
from typing import Any
from urllib.parse import parse_qs

import httpx

URL = "http://assistant.test:8002"
TASK = "0b9d5f5e-6a1c-4f7e-9a53-2f1f7c3b8e11"
DATASET = "5d6f2c1a-8b7e-4c3d-9e0f-112233445566"
USER = "9a8b7c6d-5e4f-4a3b-8c2d-1e0f9a8b7c6d"
PNG = b"\x89PNG\r\n\x1a\n" + b"\0" * 32
NOW = 1_700_000_000.0
TTL = 900

Answer = httpx.Response | BaseException


def problem(status: int, detail: str, **extra: Any) -> httpx.Response:
    """An RFC 9457 answer."""
    body = {"type": "about:blank", "title": "x", "status": status, "detail": detail, **extra}
    headers = {"WWW-Authenticate": "Bearer"} if status == 401 else {}
    return httpx.Response(
        status,
        content=json.dumps(body).encode(),
        headers={"Content-Type": "application/problem+json", **headers},
    )


def step(index: int, tool: str) -> dict[str, Any]:
    """A Step as the contract draws it."""
    return {
        "index": index,
        "agent": "analyst",
        "tool": tool,
        "input": {},
        "output": "{}",
        "error": None,
        "started_at": "2025-01-01T00:00:00Z",
        "finished_at": "2025-01-01T00:00:01Z",
    }


def task(status: str = "complete", *, steps: int = 2, error: str | None = None) -> dict[str, Any]:
    """A Task; a complete one has a report, key numbers and a chart."""
    result = None
    if status == "complete":
        result = {
            "text": "Revenue grew 12% month over month.",
            "data": {"rows": 120, "columns": ["month", "revenue", "region"], "findings": [1, 2]},
            "artifacts": [
                {
                    "name": "chart.png",
                    "media_type": "image/png",
                    "size": len(PNG),
                    "url": f"/v1/tasks/{TASK}/artifacts/chart.png",
                }
            ],
        }
    final = status in {"complete", "failed", "cancelled"}
    return {
        "task_id": TASK,
        "type": "analysis",
        "status": status,
        "input": {"dataset_id": DATASET},
        "progress": {"completed_steps": steps if final else 0, "total_steps": steps},
        "steps": [step(i, f"tool_{i}") for i in range(1, steps + 1)] if final else [],
        "result": result,
        "error": error,
        "engine": "local (deterministic tool runner, not a language model)",
        "attempts": 1,
        "created_at": "2025-01-01T00:00:00Z",
        "started_at": "2025-01-01T00:00:00Z",
        "finished_at": "2025-01-01T00:00:02Z" if final else None,
    }


def sse(*events: tuple[str, str, Any]) -> bytes:
    """The bytes of (id, event, data) events, with a keep-alive comment first."""
    chunks = [": keep-alive\n\n"]
    for event_id, name, data in events:
        chunks.append(f"id: {event_id}\nevent: {name}\ndata: {json.dumps(data)}\n\n")
    return "".join(chunks).encode()


def dropping(body: bytes) -> Iterator[bytes]:
    """A stream body that sends ``body`` then loses the connection."""
    yield body
    raise httpx.ReadError("connection reset by peer")


def events_ok(final: dict[str, Any] | None = None) -> httpx.Response:
    """A full event stream: two steps, then the end."""
    body = sse(
        ("1", "step", step(1, "tool_1")),
        ("2", "step", step(2, "tool_2")),
        ("3", "end", final or task()),
    )
    return httpx.Response(200, content=body, headers={"Content-Type": "text/event-stream"})


class FakeAssistant:
    """Routes requests as the contract does; tokens are checked; everything is recorded."""

    def __init__(self) -> None:
        self.requests: list[httpx.Request] = []
        self.users: dict[str, str] = {}
        self.access: set[str] = set()
        self.refresh_tokens: set[str] = set()
        self.numbers = itertools.count(1)
        self.events: list[Answer] = [events_ok()]
        self.task = task("in-progress")
        self.overrides: dict[tuple[str, str], list[Answer]] = {}

    def issue(self) -> dict[str, Any]:
        """A new token pair, as `POST /v1/auth/token` answers it."""
        n = next(self.numbers)
        access, refresh = f"access-{n}-secret", f"refresh-{n}-secret"
        self.access.add(access)
        self.refresh_tokens.add(refresh)
        return {
            "access_token": access,
            "token_type": "bearer",
            "expires_in": TTL,
            "refresh_token": refresh,
        }

    def answer(self, method: str, path: str, *answers: Answer) -> None:
        """Answer the next requests to ``method path`` with ``answers``, in turn."""
        self.overrides.setdefault((method, path), []).extend(answers)

    def paths(self, method: str | None = None) -> list[str]:
        """The paths requested (of ``method``), in order."""
        return [r.url.path for r in self.requests if method in (None, r.method)]

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        queued = self.overrides.get((request.method, request.url.path))
        answer: Answer = queued.pop(0) if queued else self._route(request)
        if isinstance(answer, BaseException):
            raise answer
        return answer

    def _route(self, request: httpx.Request) -> Answer:
        public: dict[tuple[str, str], Callable[[httpx.Request], Answer]] = {
            ("POST", "/v1/auth/register"): self._register,
            ("POST", "/v1/auth/token"): self._token,
            ("POST", "/v1/auth/refresh"): self._refresh,
        }
        key = (request.method, request.url.path)
        if key in public:
            return public[key](request)
        if request.headers.get("authorization", "").removeprefix("Bearer ") not in self.access:
            return problem(401, "The access token is missing, expired or invalid.")
        return self._private(request)

    def _private(self, request: httpx.Request) -> Answer:
        path = request.url.path
        routes: dict[tuple[str, str], Callable[[], Answer]] = {
            ("POST", "/v1/auth/logout"): lambda: httpx.Response(204),
            ("POST", "/v1/datasets"): lambda: httpx.Response(
                201,
                json={
                    "dataset_id": DATASET,
                    "name": "sales.csv",
                    "rows": 120,
                    "columns": [{"name": "month", "type": "string"}],
                    "created_at": "2025-01-01T00:00:00Z",
                },
            ),
            ("POST", "/v1/tasks"): lambda: httpx.Response(
                202,
                json={"task_id": TASK},
                headers={"Location": f"/v1/tasks/{TASK}", "Retry-After": "1"},
            ),
            ("GET", "/v1/tasks"): lambda: httpx.Response(
                200, json={"items": [task()], "total": 1, "limit": 20, "offset": 0, "next": None}
            ),
            ("GET", f"/v1/tasks/{TASK}"): lambda: httpx.Response(200, json=self.task),
            ("GET", f"/v1/tasks/{TASK}/events"): lambda: self.events.pop(0),
            ("GET", f"/v1/tasks/{TASK}/artifacts/chart.png"): lambda: httpx.Response(
                200, content=PNG, headers={"Content-Type": "image/png"}
            ),
        }
        route = routes.get((request.method, path))
        return route() if route else problem(404, f"No such resource: {path}.")

    def _register(self, request: httpx.Request) -> Answer:
        body = json.loads(request.content)
        if body["email"] in self.users:
            return problem(409, "An account with this email already exists.")
        if len(body["password"]) < 12:
            return problem(422, "The password is too short.", pointer="/password")
        self.users[body["email"]] = body["password"]
        return httpx.Response(
            201,
            json={
                "user_id": USER,
                "email": body["email"],
                "role": "user",
                "created_at": "2025-01-01T00:00:00Z",
            },
            headers={"Location": "/v1/me"},
        )

    def _token(self, request: httpx.Request) -> Answer:
        if request.headers["content-type"] != "application/x-www-form-urlencoded":
            return problem(415, "Send a form.")
        form = {k: v[0] for k, v in parse_qs(request.content.decode()).items()}
        if self.users.get(form.get("username", "")) != form.get("password"):
            return problem(401, "Incorrect email or password.")
        return httpx.Response(200, json=self.issue(), headers={"Cache-Control": "no-store"})

    def _refresh(self, request: httpx.Request) -> Answer:
        token = json.loads(request.content)["refresh_token"]
        if token not in self.refresh_tokens:
            return problem(401, "The refresh token is invalid or was already used.")
        self.refresh_tokens.discard(token)
        return httpx.Response(200, json=self.issue(), headers={"Cache-Control": "no-store"})
