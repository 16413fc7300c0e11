"""PatternStore: per-key state, bounded by least-recent use, safe under concurrency."""

from __future__ import annotations

import asyncio

from backbone.mocks.flaky.schemas import Pattern
from backbone.mocks.flaky.store import PatternStore


async def test_looking_does_not_store() -> None:
    """Reading an unknown key's state does not create it (reads cannot grow memory)."""
    store = PatternStore()
    await store.get("unseen")
    assert len(store) == 0


async def test_least_recently_used_key_is_evicted() -> None:
    """Past max_keys the least recently used key is forgotten; recent ones stay."""
    store = PatternStore(max_keys=3)
    await store.put("a", Pattern(fail_times=0))
    await store.record_call("b")
    await store.record_call("c")
    await store.record_call("a")  # a is now the most recently used
    await store.record_call("d")  # evicts b
    assert len(store) == 3
    assert (await store.get("b")).calls == 0
    state_a = await store.get("a")
    assert (state_a.calls, state_a.pattern.fail_times) == (1, 0)


async def test_many_keys_stay_bounded() -> None:
    """Inventing many keys never holds more than max_keys."""
    store = PatternStore(max_keys=100)
    for i in range(1000):
        await store.record_call(f"k{i}")
    assert len(store) == 100


async def test_concurrent_calls_are_counted_once_each() -> None:
    """Concurrent calls on one key get distinct, consecutive attempt numbers."""
    store = PatternStore()
    outcomes = await asyncio.gather(*(store.record_call("same") for _ in range(200)))
    assert sorted(o.attempt for o in outcomes) == list(range(1, 201))
    assert sum(o.fails for o in outcomes) == 2
