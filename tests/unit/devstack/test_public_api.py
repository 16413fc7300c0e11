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
from tests._surface import assert_all_is_the_surface


def test_all_is_sorted_and_is_the_whole_surface() -> None:
    """__all__ names, sorted, every public name of the package, and the routine's entry points."""
    assert_all_is_the_surface(devstack)
    assert {"Child", "spawn", "stop_children", "Supervisor", "SignalGuard"} <= set(devstack.__all__)


def test_exception_tree_has_one_root() -> None:
    """Every error of the package derives from DevstackError; the docstring draws the tree."""
    assert issubclass(DevstackError, RuntimeError)
    for error in (ChildError, EmbeddedServerError, BinaryNotFoundError, PortInUseError):
        assert issubclass(error, DevstackError)
        assert error.__name__ in (devstack.__doc__ or "")
    assert issubclass(PortInUseError, EmbeddedServerError)
