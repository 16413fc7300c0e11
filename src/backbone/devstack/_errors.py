"""What devstack raises: one root, so a caller can catch every start-up failure at once.

::

    DevstackError
    ├── ChildError             a child exited or was not ready in time (with its log's tail)
    └── EmbeddedServerError    an embedded server could not be set up
        ├── BinaryNotFoundError    the package or its binary is not installed
        └── PortInUseError         the requested port already has a listener
"""

from __future__ import annotations

__all__ = [
    "BinaryNotFoundError",
    "ChildError",
    "DevstackError",
    "EmbeddedServerError",
    "PortInUseError",
]


class DevstackError(RuntimeError):
    """Something devstack was asked to start could not be started."""


class ChildError(DevstackError):
    """A child process exited or was not ready in time; the message carries its log's tail."""


class EmbeddedServerError(DevstackError):
    """An embedded server could not be set up."""


class BinaryNotFoundError(EmbeddedServerError):
    """The pip package that ships the server binary is not installed."""


class PortInUseError(EmbeddedServerError):
    """The requested port already has a listener."""

    def __init__(self, host: str, port: int, what: str) -> None:
        super().__init__(f"{what}: port {port} on {host} is already in use")
        self.host = host
        self.port = port
