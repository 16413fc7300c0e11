"""What the mock services share: JSON numbers, entity tags, pages, the record store, waits."""

from __future__ import annotations

import asyncio
import re
import time
from datetime import UTC, datetime
from typing import Any

import pytest
from pydantic import BaseModel, ConfigDict, ValidationError, field_validator

import backbone.mocks._common as common
from backbone.core.problems import ProblemError
from backbone.mocks._common import (
    ETAG_HEADER,
    JsonInt,
    Page,
    RecordStore,
    etag_for,
    json_number,
    match_fails,
    none_match,
    not_modified,
    page_of,
    present_members,
    refuse_null,
    sleep_unless_disconnected,
    with_changes,
    write_responses,
)

EPOCH = datetime(2026, 1, 1, tzinfo=UTC)


class Thing(BaseModel):
    """A record as the store keeps them."""

    thing_id: int
    label: str
    updated_at: datetime = EPOCH


class ThingPatch(BaseModel):
    """A merge patch whose ``label`` may be absent but not null."""

    model_config = ConfigDict(extra="forbid")

    label: str | None = None
    count: JsonInt | None = None

    _label_not_null = field_validator("label", mode="before")(refuse_null)


def _store(*labels: str) -> RecordStore[Thing]:
    return RecordStore(
        noun="thing", seed={n: Thing(thing_id=n, label=label) for n, label in enumerate(labels, 1)}
    )


def test_public_names() -> None:
    """The package exports exactly its documented names, sorted."""
    assert common.__all__ == sorted(common.__all__, key=lambda n: (not n.isupper(), n))
    assert all(hasattr(common, name) for name in common.__all__)


@pytest.mark.parametrize(("value", "expected"), [(3, 3), (3.0, 3), (1.5, 1.5), (-2, -2)])
def test_json_number_accepts_numbers(value: object, expected: object) -> None:
    """JSON numbers pass; an integral float becomes an int, as JSON Schema counts it."""
    result = json_number(value)
    assert result == expected
    assert type(result) is type(expected)


@pytest.mark.parametrize("value", [True, False, "3", None, [3]])
def test_json_number_refuses_non_numbers(value: object) -> None:
    """Booleans, strings, null and arrays are not JSON numbers."""
    with pytest.raises(ValueError, match="JSON number"):
        json_number(value)


def test_null_is_refused_but_absence_is_not() -> None:
    """refuse_null turns an explicit null into an error; a left-out member keeps its default."""
    assert ThingPatch().label is None
    with pytest.raises(ValidationError, match="not null"):
        ThingPatch.model_validate({"label": None})


def test_present_members_are_those_sent() -> None:
    """present_members lists what the body carried, nulls included, nothing else."""
    assert present_members(ThingPatch.model_validate({"count": 2.0})) == {"count": 2}
    assert present_members(ThingPatch.model_validate({})) == {}


def test_etag_follows_the_representation() -> None:
    """The tag is strong, quoted, stable for equal records and different for changed ones."""
    tag = etag_for(Thing(thing_id=1, label="a"))
    assert re.fullmatch(ETAG_HEADER["ETag"]["schema"]["pattern"], tag)
    assert not tag.startswith("W/")
    assert etag_for(Thing(thing_id=1, label="a")) == tag
    assert etag_for(Thing(thing_id=1, label="b")) != tag


@pytest.mark.parametrize(
    ("header", "hit"),
    [
        (None, False),
        ("", False),
        ('"abc"', True),
        ('W/"abc"', True),
        (' "x", W/"abc" ', True),
        ("*", True),
        (" * ", True),
        ('"abd"', False),
        ("abc", False),
        ('"a,b", "abc"', True),
    ],
)
def test_if_none_match_uses_the_weak_comparison(header: str | None, hit: bool) -> None:
    """If-None-Match hits on *, or on the tag itself, weak or not, anywhere in a list."""
    assert none_match(header, '"abc"') is hit


@pytest.mark.parametrize(
    ("header", "fails"),
    [
        (None, False),
        ("*", False),
        ('"abc"', False),
        ('"x", "abc"', False),
        ('W/"abc"', True),
        ('"abd"', True),
        ("", True),
        ("abc", True),
    ],
)
def test_if_match_uses_the_strong_comparison(header: str | None, fails: bool) -> None:
    """If-Match passes when absent, *, or naming the tag strongly; a weak tag never matches."""
    assert match_fails(header, '"abc"') is fails


def test_not_modified_has_the_tag_and_no_body() -> None:
    """A 304 carries the current ETag and nothing else."""
    response = not_modified('"abc"')
    assert (response.status_code, response.body) == (304, b"")
    assert response.headers["etag"] == '"abc"'
    assert "content-length" not in response.headers


def test_a_middle_page_links_to_the_next_with_its_filters() -> None:
    """next keeps the filters that are set, drops those that are None, and moves the offset."""
    page = page_of(
        list(range(10)),
        limit=3,
        offset=3,
        path="/things",
        filters={"name": "a b&c", "user_id": None, "status": "paid"},
    )
    assert page == Page(
        items=[3, 4, 5],
        total=10,
        limit=3,
        offset=3,
        next="/things?name=a+b%26c&status=paid&limit=3&offset=6",
    )


@pytest.mark.parametrize(("offset", "items"), [(8, [8, 9]), (7, [7, 8, 9]), (10, []), (99, [])])
def test_the_last_page_and_beyond_have_no_next(offset: int, items: list[int]) -> None:
    """The last page (and any offset past the end) has next null; past the end is empty."""
    page = page_of(list(range(10)), limit=3, offset=offset, path="/t", filters={})
    assert (page.items, page.total, page.next) == (items, 10, None)


async def test_store_serves_records_in_id_order() -> None:
    """Seeded records come back in ascending id order, filtered by the predicate."""
    store = RecordStore(
        noun="thing", seed={5: Thing(thing_id=5, label="e"), 2: Thing(thing_id=2, label="b")}
    )
    assert [t.thing_id for t in await store.select()] == [2, 5]
    assert [t.thing_id for t in await store.select(lambda t: t.label == "e")] == [5]
    assert len(store) == 2


async def test_store_ids_grow_and_are_never_reused() -> None:
    """New ids follow the highest ever issued, even after that record is deleted."""
    store = _store("a", "b")
    first = await store.create(lambda n: Thing(thing_id=n, label="c"))
    await store.delete(first.record.thing_id)
    second = await store.create(lambda n: Thing(thing_id=n, label="d"))
    assert (first.record.thing_id, second.record.thing_id) == (3, 4)
    assert second.etag == etag_for(second.record)


async def test_concurrent_creates_get_distinct_ids() -> None:
    """Creates racing on one store each get an id of their own."""
    store = _store()
    created = await asyncio.gather(
        *(store.create(lambda n: Thing(thing_id=n, label="x")) for _ in range(50))
    )
    assert sorted(v.record.thing_id for v in created) == list(range(1, 51))


@pytest.mark.parametrize("operation", ["get", "update", "delete"])
async def test_unknown_id_is_404(operation: str) -> None:
    """Reading, changing or deleting an id the store does not hold is a 404 naming it."""
    store = _store("a")
    calls: dict[str, Any] = {
        "get": lambda: store.get(9),
        "update": lambda: store.update(9, lambda t: t),
        "delete": lambda: store.delete(9),
    }
    with pytest.raises(ProblemError) as caught:
        await calls[operation]()
    assert (caught.value.status, caught.value.detail) == (404, "No thing has id 9.")


async def test_failed_if_match_is_412_and_changes_nothing() -> None:
    """A write whose If-Match names another version is refused and leaves the record."""
    store = _store("a")
    before = await store.get(1)
    with pytest.raises(ProblemError) as caught:
        await store.update(1, lambda t: with_changes(t, {"label": "b"}), if_match='"old"')
    assert caught.value.status == 412
    with pytest.raises(ProblemError):
        await store.delete(1, if_match="W/" + before.etag)
    assert await store.get(1) == before


async def test_matching_if_match_writes() -> None:
    """A write naming the current tag (or *) goes through and gets a new tag."""
    store = _store("a")
    before = await store.get(1)
    after = await store.update(1, lambda t: with_changes(t, {"label": "b"}), if_match=before.etag)
    assert after.record.label == "b"
    assert after.etag != before.etag
    await store.delete(1, if_match="*")
    assert len(store) == 0


async def test_a_change_that_raises_changes_nothing() -> None:
    """An error raised by the change itself (a 409, say) leaves the record as it was."""
    store = _store("a")
    before = await store.get(1)

    def refuse(thing: Thing) -> Thing:
        raise ProblemError(409, detail="no")

    with pytest.raises(ProblemError):
        await store.update(1, refuse)
    assert await store.get(1) == before


async def test_a_change_to_the_same_values_keeps_the_version() -> None:
    """Setting what is already there keeps the record, its updated_at and its tag."""
    store = _store("a")
    before = await store.get(1)
    after = await store.update(1, lambda t: with_changes(t, {"label": "a"}))
    assert after is before


def test_with_changes_moves_updated_at() -> None:
    """A real change sets the values and a fresh updated_at; an empty change returns the record."""
    thing = Thing(thing_id=1, label="a")
    assert with_changes(thing, {}) is thing
    changed = with_changes(thing, {"label": "b"})
    assert (changed.label, thing.label) == ("b", "a")
    assert changed.updated_at > thing.updated_at


def test_write_responses_document_409_only_when_asked() -> None:
    """A conflict description adds the 409; without it the operation has none."""
    assert 409 not in write_responses("thing")
    assert write_responses("thing", conflict="No.")[409]["description"] == "No."


class _Request:
    """Just enough of a Request for sleep_unless_disconnected."""

    def __init__(self, *messages: dict[str, object], error: Exception | None = None) -> None:
        self.messages = list(messages)
        self.error = error

    async def receive(self) -> dict[str, object]:
        await asyncio.sleep(0)
        if self.error is not None:
            raise self.error
        if self.messages:
            return self.messages.pop(0)
        return await asyncio.get_running_loop().create_future()  # type: ignore[no-any-return]


async def test_wait_ends_when_the_client_disconnects() -> None:
    """A long wait ends as soon as the disconnect arrives (after any body messages)."""
    request = _Request({"type": "http.request"}, {"type": "http.disconnect"})
    started = time.monotonic()
    assert await sleep_unless_disconnected(request, 30) is True  # type: ignore[arg-type]
    assert time.monotonic() - started < 5


async def test_wait_survives_a_broken_receive() -> None:
    """A receive that fails counts as a gone client, not a crash."""
    request = _Request(error=RuntimeError("stream broke"))
    assert await sleep_unless_disconnected(request, 30) is True  # type: ignore[arg-type]


async def test_wait_runs_its_course_while_the_client_stays() -> None:
    """With the client still there the wait lasts its time and reports no disconnect."""
    request = _Request({"type": "http.request"})
    assert await sleep_unless_disconnected(request, 0.001) is False  # type: ignore[arg-type]
