"""A GitHub stub for the client's unit tests: an ``httpx.MockTransport`` handler that
keeps pull-request files, comments, reviews and contents in memory, records every
request, and answers scripted faults first (the fake GitHub of ``backbone.mocks.github``
is the integration tests' business)."""

from __future__ import annotations

import base64
import itertools
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import unquote

import httpx
from pydantic import SecretStr

from backbone.review.github import GitHubClient, TokenAuth

API = "https://ghe.example.com/api/v3"
PREFIX = "/api/v3"
TOKEN = "ghp_" + "Sup3rS3cretT0ken" * 2
HEAD = "a" * 40
BASE = "b" * 40

LOGIN = "backbone[bot]"
"""Who the stub says the token belongs to (``GET /user``), and writes as."""

NOW = 1_700_000_000.0
"""The wall clock the tests' clients see (epoch seconds)."""

_PULL = re.compile(r"/repos/([^/]+)/([^/]+)/pulls/(\d+)")


@dataclass
class Fault:
    """An answer given instead of the normal one, ``times`` times, to matching requests.

    ``apply``: the stub does what was asked first (an answer lost after the write).
    """

    method: str
    path: str
    answer: httpx.Response | Exception | Callable[[httpx.Request], httpx.Response]
    times: int = 1
    apply: bool = False


def json_response(status: int, body: Any, **headers: str) -> httpx.Response:
    return httpx.Response(status, json=body, headers=headers)


def pull_file(index: int) -> dict[str, Any]:
    return {
        "filename": f"src/module_{index}.py",
        "status": "modified",
        "additions": 1,
        "deletions": 0,
        "changes": 1,
        "patch": "@@ -1 +1,2 @@\n x = 1\n+y = 2",
        "sha": "c" * 40,
        "blob_url": "https://example.invalid/ignored",
    }


class GitHubStub:
    """The REST routes the client calls, under ``PREFIX`` (a GitHub Enterprise URL)."""

    def __init__(self) -> None:
        self.requests: list[httpx.Request] = []
        self.faults: list[Fault] = []
        self.files: list[dict[str, Any]] = []
        self.comments: list[dict[str, Any]] = []
        self.reviews: list[dict[str, Any]] = []
        self.contents: dict[str, Any] = {}
        self.raw: dict[str, bytes] = {}
        self._ids = itertools.count(1001)

    def transport(self) -> httpx.MockTransport:
        return httpx.MockTransport(self.handle)

    def calls(self, method: str | None = None) -> list[str]:
        """``"METHOD /path"`` of each request received (path without the prefix)."""
        return [
            f"{r.method} {r.url.path.removeprefix(PREFIX)}"
            for r in self.requests
            if method is None or r.method == method
        ]

    def add_comment(self, body: str, login: str | None = LOGIN) -> dict[str, Any]:
        """A comment by ``login`` (None: a deleted account, ``user: null``)."""
        comment_id = next(self._ids)
        comment = {
            "id": comment_id,
            "body": body,
            "html_url": f"https://github.example/o/r/pull/1#issuecomment-{comment_id}",
            "user": None if login is None else {"login": login, "type": "Bot"},
        }
        self.comments.append(comment)
        return comment

    def add_review(self, body: str, commit_id: str, login: str = LOGIN) -> dict[str, Any]:
        """A review by ``login`` on ``commit_id``."""
        review_id = next(self._ids)
        review = {
            "id": review_id,
            "body": body,
            "commit_id": commit_id,
            "state": "COMMENTED",
            "html_url": f"https://github.example/o/r/pull/1#pullrequestreview-{review_id}",
            "user": {"login": login, "type": "Bot"},
        }
        self.reviews.append(review)
        return review

    def add_file(self, path: str, data: bytes, *, inline: bool = True) -> None:
        """A file at ``path``: base64 in the JSON, or ``encoding: none`` and raw only."""
        encoded = base64.encodebytes(data).decode() if inline else ""
        self.contents[path] = {
            "type": "file",
            "name": path.rsplit("/", 1)[-1],
            "path": path,
            "size": len(data),
            "encoding": "base64" if inline else "none",
            "content": encoded,
        }
        self.raw[path] = data

    async def handle(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        # The raw path: what the client encoded, as GitHub would see it.
        path = request.url.raw_path.decode().partition("?")[0].removeprefix(PREFIX)
        for fault in self.faults:
            if fault.times > 0 and fault.method == request.method and fault.path == path:
                fault.times -= 1
                if fault.apply:
                    self._route(request, path)
                if isinstance(fault.answer, Exception):
                    raise fault.answer
                if callable(fault.answer):
                    return fault.answer(request)
                return fault.answer
        return self._route(request, path)

    def _route(self, request: httpx.Request, path: str) -> httpx.Response:
        repo = r"/repos/[^/]+/[^/]+"
        routes: list[tuple[str, str, Callable[[httpx.Request, re.Match[str]], httpx.Response]]] = [
            ("GET", "/user", lambda r, m: json_response(200, {"login": LOGIN, "type": "Bot"})),
            ("GET", rf"{repo}/pulls/\d+", self._pull),
            ("GET", rf"{repo}/pulls/\d+/files", lambda r, m: self._page(r, self.files)),
            ("GET", rf"{repo}/issues/\d+/comments", lambda r, m: self._page(r, self.comments)),
            ("POST", rf"{repo}/issues/\d+/comments", self._create_comment),
            ("PATCH", rf"{repo}/issues/comments/(\d+)", self._edit_comment),
            ("GET", rf"{repo}/pulls/\d+/reviews", lambda r, m: self._page(r, self.reviews)),
            ("POST", rf"{repo}/pulls/\d+/reviews", self._create_review),
            ("GET", rf"{repo}/contents/(.+)", self._content),
        ]
        for method, pattern, answer in routes:
            match = re.fullmatch(pattern, path)
            if match and method == request.method:
                return answer(request, match)
        return json_response(404, {"message": "Not Found"})

    def _pull(self, request: httpx.Request, match: re.Match[str]) -> httpx.Response:
        owner, name, number = _PULL.fullmatch(match[0]).groups()  # type: ignore[union-attr]
        return json_response(
            200,
            {
                "number": int(number),
                "title": "Add y",
                "body": None,
                "draft": False,
                "state": "open",
                "head": {"sha": HEAD, "ref": "feature"},
                "base": {"sha": BASE, "ref": "main"},
                "user": {"login": "octocat"},
                "html_url": f"https://github.example/{owner}/{name}/pull/{number}",
            },
        )

    def _page(self, request: httpx.Request, items: list[dict[str, Any]]) -> httpx.Response:
        page = int(request.url.params.get("page", "1"))
        per_page = int(request.url.params.get("per_page", "30"))
        chunk = items[(page - 1) * per_page : page * per_page]
        headers = {}
        if page * per_page < len(items):
            following = request.url.copy_set_param("page", str(page + 1))
            headers["Link"] = f'<{following}>; rel="next"'
        return httpx.Response(200, json=chunk, headers=headers)

    def _create_comment(self, request: httpx.Request, match: re.Match[str]) -> httpx.Response:
        body = httpx.Response(200, content=request.content).json()["body"]
        return json_response(201, self.add_comment(body))

    def _edit_comment(self, request: httpx.Request, match: re.Match[str]) -> httpx.Response:
        for comment in self.comments:
            if comment["id"] == int(match[1]):
                comment["body"] = httpx.Response(200, content=request.content).json()["body"]
                return json_response(200, comment)
        return json_response(404, {"message": "Not Found"})

    def _create_review(self, request: httpx.Request, match: re.Match[str]) -> httpx.Response:
        payload = httpx.Response(200, content=request.content).json()
        review = self.add_review(payload["body"], payload["commit_id"])
        review["sent"] = payload
        return json_response(200, review)

    def _content(self, request: httpx.Request, match: re.Match[str]) -> httpx.Response:
        path = "/".join(unquote(segment) for segment in match[1].split("/"))
        if request.url.params.get("ref") != HEAD or path not in self.contents:
            return json_response(404, {"message": "Not Found"})
        if request.headers["accept"] == "application/vnd.github.raw+json":
            return httpx.Response(200, content=self.raw[path])
        return json_response(200, self.contents[path])


class Sleeps(list[float]):
    """An injected sleep: records the waits instead of waiting."""

    async def __call__(self, seconds: float) -> None:
        self.append(seconds)


def make_client(stub: GitHubStub, sleeps: Sleeps, **options: Any) -> GitHubClient:
    """A client of the stub with a token, two retries, a 60 s rate-limit cap, a 4 MiB
    file cap, the recording sleep and the clock at ``NOW`` (``options`` override)."""
    settings: dict[str, Any] = {
        "base_url": API,
        "auth": TokenAuth(SecretStr(TOKEN)),
        "max_retries": 2,
        "max_rate_limit_wait": 60.0,
        "max_file_bytes": 4 * 1024 * 1024,
        "transport": stub.transport(),
        "sleep": sleeps,
        "clock": lambda: NOW,
    }
    return GitHubClient(**(settings | options))
