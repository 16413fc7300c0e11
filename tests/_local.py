"""Small local fixtures' machinery shared across the suite: HTTP servers, ports, directories."""

from __future__ import annotations

import contextlib
import http.server
import shutil
import socket
import tempfile
import threading
from collections.abc import Iterator
from pathlib import Path


@contextlib.contextmanager
def http_server(handler: type[http.server.BaseHTTPRequestHandler]) -> Iterator[str]:
    """A threaded HTTP server on a free loopback port for the block; its base URL."""
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


@contextlib.contextmanager
def busy_port() -> Iterator[int]:
    """A loopback port with a listener on it for the block."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen()
        yield sock.getsockname()[1]


@contextlib.contextmanager
def scratch_directory(prefix: str) -> Iterator[Path]:
    """A temporary directory outside pytest's basetemp, removed afterwards.

    As root, the embedded PostgreSQL runs as another user who must traverse the data
    directory's parents; every pytest session that starts re-applies mode 0700 to
    /tmp/pytest-of-root, which would cut a concurrent test's server off its data.
    """
    path = Path(tempfile.mkdtemp(prefix=prefix))
    try:
        yield path
    finally:
        shutil.rmtree(path, ignore_errors=True)
