"""Checks of a package's public surface, for the packages with a small one."""

from __future__ import annotations

import inspect
from types import ModuleType


def assert_all_is_the_surface(package: ModuleType) -> None:
    """``__all__`` is sorted (constants first, as isort does) and names exactly what the
    package offers: every public name it binds, no submodule, nothing missing."""
    names: list[str] = package.__all__
    assert names == sorted(names, key=lambda name: (not name.isupper(), name))
    offered = {
        name
        for name, value in vars(package).items()
        if not name.startswith("_") and not inspect.ismodule(value)
    }
    assert set(names) == offered
