"""The public surface of backbone.devstack."""

from __future__ import annotations

import backbone.devstack as devstack
from backbone.devstack import (
    BinaryNotFoundError,
    ChildError,
    DevstackError,
    EmbeddedServerError,
    PortInUseError,
)


def test_all_is_sorted_and_exact() -> None:
    """__all__ lists exactly the public names, sorted (constants first, as isort does)."""
    assert devstack.__all__ == sorted(devstack.__all__, key=lambda name: (not name.isupper(), name))
    assert set(devstack.__all__) == {
        "BinaryNotFoundError",
        "Child",
        "ChildError",
        "DevstackError",
        "EmbeddedPostgres",
        "EmbeddedRedis",
        "EmbeddedServer",
        "EmbeddedServerError",
        "PortInUseError",
        "ProcessLike",
        "SignalGuard",
        "StopRequested",
        "Supervisor",
        "binaries_available",
        "find_free_port",
        "http_probe",
        "log_tail",
        "port_is_free",
        "postgres_bin_dir",
        "redis_server_binary",
        "spawn",
        "stop_children",
    }
    for name in devstack.__all__:
        assert getattr(devstack, name) is not None


def test_exception_tree_has_one_root() -> None:
    """Every error of the package derives from DevstackError; the docstring draws the tree."""
    assert issubclass(DevstackError, RuntimeError)
    for error in (ChildError, EmbeddedServerError, BinaryNotFoundError, PortInUseError):
        assert issubclass(error, DevstackError)
        assert error.__name__ in (devstack.__doc__ or "")
    assert issubclass(PortInUseError, EmbeddedServerError)
