"""Per-key state of the flaky service, in process memory (one mock instance).

Bounded: past ``max_keys`` keys the least recently used one is forgotten, so a load
test that invents keys cannot grow memory without limit. A forgotten key is simply
back to the default pattern with no calls.
"""

from __future__ import annotations

import asyncio
from collections import OrderedDict
from dataclasses import dataclass

from backbone.mocks.flaky.schemas import DEFAULT_PATTERN, Pattern, PatternState


@dataclass
class _KeyState:
    pattern: Pattern
    calls: int = 0


@dataclass(frozen=True)
class CallOutcome:
    """What one call to ``/flaky/{key}`` must do."""

    key: str
    attempt: int
    pattern: Pattern

    @property
    def fails(self) -> bool:
        """True when this call is one of the pattern's failures."""
        return self.attempt <= self.pattern.fail_times


def _state(key: str, state: _KeyState) -> PatternState:
    failures_left = max(0, state.pattern.fail_times - state.calls)
    return PatternState(
        key=key, pattern=state.pattern, calls=state.calls, failures_left=failures_left
    )


class PatternStore:
    """Patterns and call counts per key, behind one lock."""

    def __init__(self, *, max_keys: int = 100_000) -> None:
        self.max_keys = max_keys
        self._states: OrderedDict[str, _KeyState] = OrderedDict()
        self._lock = asyncio.Lock()

    def __len__(self) -> int:
        return len(self._states)

    def _touch(self, key: str) -> _KeyState:
        state = self._states.get(key)
        if state is None:
            state = self._states[key] = _KeyState(pattern=DEFAULT_PATTERN)
            while len(self._states) > self.max_keys:
                self._states.popitem(last=False)
        self._states.move_to_end(key)
        return state

    async def get(self, key: str) -> PatternState:
        """The key's state; a key never seen is not stored by merely looking."""
        async with self._lock:
            state = self._states.get(key) or _KeyState(pattern=DEFAULT_PATTERN)
            return _state(key, state)

    async def put(self, key: str, pattern: Pattern) -> PatternState:
        """Set the key's pattern and reset its call count."""
        async with self._lock:
            state = self._touch(key)
            state.pattern, state.calls = pattern, 0
            return _state(key, state)

    async def reset(self, key: str) -> None:
        """Forget the key: default pattern, no calls."""
        async with self._lock:
            self._states.pop(key, None)

    async def record_call(self, key: str) -> CallOutcome:
        """Count one call and say whether it fails."""
        async with self._lock:
            state = self._touch(key)
            state.calls += 1
            return CallOutcome(key=key, attempt=state.calls, pattern=state.pattern)
