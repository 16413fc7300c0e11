"""The suite's Docker-engine probe: yes only for an engine that answers, and silent otherwise."""

from __future__ import annotations

import gc
import logging
import socket
import threading
import warnings
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests import _services


def _serve_once(sock: socket.socket, answer: bytes) -> None:
    connection, _ = sock.accept()
    with connection:
        connection.recv(1024)
        connection.sendall(answer)


@pytest.fixture
def fake_engine(tmp_path: Path) -> Iterator[tuple[str, socket.socket]]:
    """A Unix socket in tmp_path (the test decides what it answers)."""
    path = tmp_path / "docker.sock"
    server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    server.bind(str(path))
    server.listen(1)
    try:
        yield f"unix://{path}", server
    finally:
        server.close()


def _answering(server: socket.socket, answer: bytes) -> threading.Thread:
    thread = threading.Thread(target=_serve_once, args=(server, answer), daemon=True)
    thread.start()
    return thread


def test_no_engine_leaves_nothing_open_and_says_nothing(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    caplog: pytest.LogCaptureFixture,
) -> None:
    """No socket at DOCKER_HOST: False, no ResourceWarning, no output, no log record."""
    monkeypatch.setenv("DOCKER_HOST", f"unix://{tmp_path / 'absent.sock'}")
    caplog.set_level(logging.DEBUG)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        assert _services.docker_available() is False
        gc.collect()
    assert [w.message for w in caught] == []
    assert capsys.readouterr() == ("", "")
    assert caplog.records == []


def test_a_refused_tcp_engine_is_no_engine(monkeypatch: pytest.MonkeyPatch) -> None:
    """A tcp:// DOCKER_HOST nobody listens on: False, without a leaked socket."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    monkeypatch.setenv("DOCKER_HOST", f"tcp://127.0.0.1:{port}")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        assert _services.docker_available() is False
        gc.collect()
    assert [w.message for w in caught] == []


def test_an_engine_that_answers_ping_is_available(
    fake_engine: tuple[str, socket.socket], monkeypatch: pytest.MonkeyPatch
) -> None:
    """An engine answering ``GET /_ping`` with 200 OK counts."""
    url, server = fake_engine
    monkeypatch.setenv("DOCKER_HOST", url)
    thread = _answering(server, b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nOK")
    assert _services.docker_available() is True
    thread.join(5)


def test_a_socket_that_answers_an_error_is_no_engine(
    fake_engine: tuple[str, socket.socket], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Something listening that does not answer 200 to the ping is not an engine."""
    url, server = fake_engine
    monkeypatch.setenv("DOCKER_HOST", url)
    thread = _answering(server, b"HTTP/1.1 500 Internal Server Error\r\n\r\n")
    assert _services.docker_available() is False
    thread.join(5)


def test_an_unknown_scheme_is_no_engine(monkeypatch: pytest.MonkeyPatch) -> None:
    """ssh:// or npipe:// engines are left to testcontainers users to set up: False here."""
    monkeypatch.setenv("DOCKER_HOST", "ssh://someone@example.invalid")
    assert _services.docker_available() is False
