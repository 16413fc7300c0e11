"""A fake OpenAI-compatible server on a free loopback port, for tests of the real-model path.

It serves ``POST /v1/chat/completions`` from a script of :class:`Reply` objects (the last
one repeats), ``GET /v1/models`` with one model, and records every request it receives
(path, headers, JSON body) so a test can assert what the client sent and count attempts::

    with FakeOpenAI([tool_call_reply("lookup", {"id": 1}), text_reply("Final")]) as server:
        settings = AgentSettings(model="openai/fake", base_url=server.url, api_key="k")
        ...
    assert server.requests[0].headers["authorization"] == "Bearer k"

Nothing here reaches beyond 127.0.0.1.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

__all__ = [
    "FakeOpenAI",
    "Recorded",
    "Reply",
    "fake_openai",
    "text_reply",
    "tool_call_reply",
]


@dataclass(frozen=True)
class Reply:
    """One scripted answer: a status, a body (a dict is sent as JSON), headers, a delay."""

    status: int = 200
    body: Mapping[str, Any] | bytes = b""
    headers: Mapping[str, str] = field(default_factory=dict)
    delay: float = 0.0


@dataclass(frozen=True)
class Recorded:
    """One request the server received."""

    method: str
    path: str
    headers: Mapping[str, str]
    body: Any


def _completion(message: Mapping[str, Any], finish_reason: str) -> dict[str, Any]:
    return {
        "id": "chatcmpl-fake",
        "object": "chat.completion",
        "created": 0,
        "model": "fake",
        "choices": [{"index": 0, "message": dict(message), "finish_reason": finish_reason}],
        "usage": {"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2},
    }


def text_reply(content: str) -> Reply:
    """A chat completion whose assistant message is ``content``."""
    return Reply(body=_completion({"role": "assistant", "content": content}, "stop"))


def tool_call_reply(name: str, arguments: Mapping[str, Any], *, call_id: str = "call_1") -> Reply:
    """A chat completion asking for one tool call, in OpenAI's ``tool_calls`` format."""
    call = {
        "id": call_id,
        "type": "function",
        "function": {"name": name, "arguments": json.dumps(dict(arguments))},
    }
    message = {"role": "assistant", "content": None, "tool_calls": [call]}
    return Reply(body=_completion(message, "tool_calls"))


class FakeOpenAI:
    """The server: start it with ``with``; ``url`` ends in ``/v1``."""

    def __init__(self, replies: Iterable[Reply]) -> None:
        self._replies = list(replies) or [text_reply("")]
        self._lock = threading.Lock()
        self.requests: list[Recorded] = []
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        """The base URL a client is given (``http://127.0.0.1:<port>/v1``)."""
        return f"http://127.0.0.1:{self._server.server_address[1]}/v1"

    @property
    def completions(self) -> list[Recorded]:
        """The requests to ``/v1/chat/completions``: one per attempt."""
        with self._lock:
            return [r for r in self.requests if r.path.endswith("/chat/completions")]

    def __enter__(self) -> FakeOpenAI:
        self._thread.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)

    def _next_reply(self) -> Reply:
        with self._lock:
            return self._replies.pop(0) if len(self._replies) > 1 else self._replies[0]

    def _record(self, request: Recorded) -> None:
        with self._lock:
            self.requests.append(request)

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format: str, *args: Any) -> None:
                """Quiet: the tests read ``requests`` instead."""

            def _send(self, reply: Reply) -> None:
                body = reply.body if isinstance(reply.body, bytes) else json.dumps(reply.body)
                data = body.encode() if isinstance(body, str) else body
                try:
                    time.sleep(reply.delay)
                    self.send_response(reply.status)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(data)))
                    for name, value in reply.headers.items():
                        self.send_header(name, value)
                    self.end_headers()
                    self.wfile.write(data)
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the client gave up (its timeout): what the test wanted

            def _receive(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length) if length else b""
                try:
                    body: Any = json.loads(raw) if raw else None
                except ValueError:
                    body = raw
                headers = {k.lower(): v for k, v in self.headers.items()}
                fake._record(Recorded(self.command, self.path, headers, body))

            def do_GET(self) -> None:
                self._receive()
                if self.path.rstrip("/").endswith("/models"):
                    models = {"object": "list", "data": [{"id": "fake", "object": "model"}]}
                    self._send(Reply(body=models))
                else:
                    self._send(Reply(status=404, body={"error": {"message": "not found"}}))

            def do_POST(self) -> None:
                self._receive()
                if self.path.rstrip("/").endswith("/chat/completions"):
                    self._send(fake._next_reply())
                else:
                    self._send(Reply(status=404, body={"error": {"message": "not found"}}))

        return Handler


@contextmanager
def fake_openai(replies: Iterable[Reply]) -> Iterator[FakeOpenAI]:
    """``FakeOpenAI(replies)``, started and stopped."""
    with FakeOpenAI(replies) as server:
        yield server
