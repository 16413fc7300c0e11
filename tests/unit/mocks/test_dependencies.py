"""Every mock's endpoints and dependencies are async: none runs in FastAPI's thread pool.

FastAPI runs each plain ``def`` endpoint or dependency in a worker thread, per request:
a thread hop (and a slot of a 40-thread pool) to read ``request.app.state``.
"""

from __future__ import annotations

import importlib
import inspect
import pkgutil
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.dependencies.models import Dependant
from fastapi.routing import iter_route_contexts

import backbone.mocks

MOCKS = sorted(
    info.name
    for info in pkgutil.iter_modules(backbone.mocks.__path__)
    if not info.name.startswith("_")
)


def _tree(dependant: Dependant) -> Iterator[Dependant]:
    yield dependant
    for sub in dependant.dependencies:
        yield from _tree(sub)


def _runs_on_the_loop(call: Any) -> bool:
    """What FastAPI awaits rather than sends to a thread: async functions and generators."""
    return (
        inspect.iscoroutinefunction(call)
        or inspect.isasyncgenfunction(call)
        or (not inspect.isclass(call) and inspect.iscoroutinefunction(type(call).__call__))
    )


def _calls(app: FastAPI) -> list[tuple[str, Any]]:
    """(route, callable) for every endpoint and dependency of every route of ``app``."""
    found = []
    for context in iter_route_contexts(app.routes):
        dependant = getattr(context, "dependant", None)
        if dependant is not None:  # the docs' routes are plain Starlette ones
            route = f"{sorted(context.methods or [])} {context.path}"
            found.extend((route, sub.call) for sub in _tree(dependant))
    return found


def test_every_mock_is_found() -> None:
    """The walk below sees every mock package (a new one is covered without a change)."""
    assert {"flaky", "orders", "users"} <= set(MOCKS)


@pytest.mark.parametrize("mock", MOCKS)
def test_no_endpoint_or_dependency_is_sync(mock: str) -> None:
    """Each callable in each route's dependency tree is a coroutine (or async generator)."""
    app = importlib.import_module(f"backbone.mocks.{mock}").create_app()
    calls = _calls(app)
    assert len(calls) > len({route for route, _ in calls})  # some dependencies were seen
    sync = [
        f"{route}: {getattr(call, '__qualname__', call)}"
        for route, call in calls
        if not _runs_on_the_loop(call)
    ]
    assert sync == []


def test_the_check_tells_sync_from_async() -> None:
    """A plain def, a class and a sync __call__ are sync; async def and async __call__ not."""

    def plain() -> None: ...

    async def coroutine() -> None: ...

    async def agen() -> Any:
        yield

    class AsyncCallable:
        async def __call__(self) -> None: ...

    class SyncCallable:
        def __call__(self) -> None: ...

    assert [_runs_on_the_loop(c) for c in (plain, SyncCallable, SyncCallable())] == [False] * 3
    assert [_runs_on_the_loop(c) for c in (coroutine, agen, AsyncCallable())] == [True] * 3
