"""The CRM API against real PostgreSQL: the token, pages and filters, one member with
its lead events, the CSV export, and a database that is down."""

from __future__ import annotations

import asyncio
import csv
import functools
import io
from collections.abc import AsyncIterator

import httpx
import pytest

from backbone.community import create_app
from backbone.community import routes as community_routes
from backbone.community.store import MemberRow, iter_members
from tests.integration._live import live_servers
from tests.integration.community._api import (
    AUTH,
    GUILD,
    OTHER_GUILD,
    TOKEN,
    community_settings,
    seed,
    seed_leads,
)
from tests.integration.reports.conftest import assert_problem, closed_database_url, serving

pytestmark = pytest.mark.integration

ROUTES = ("/members", "/members/1", "/members.csv")


@pytest.fixture
async def api(migrated_database: str) -> AsyncIterator[httpx.AsyncClient]:
    """A client of the CRM API on the test's migrated database."""
    async with serving(create_app(community_settings(database_url=migrated_database))) as c:
        yield c


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"Authorization": "Bearer wrong"},
        {"Authorization": TOKEN},
        {"Authorization": f"Basic {TOKEN}"},
        {"Authorization": f"Bearer {TOKEN}x"},
    ],
)
async def test_every_member_route_needs_the_token(
    api: httpx.AsyncClient, headers: dict[str, str]
) -> None:
    """No token, a wrong one, no scheme, another scheme, a longer one: 401 problem+json
    with WWW-Authenticate, even for a request that would not validate."""
    for path in (*ROUTES, "/members?status=nope"):
        response = await api.get(path, headers=headers)
        assert_problem(response, 401)
        assert response.headers["WWW-Authenticate"].startswith("Bearer")


async def test_operations_routes_need_no_token(api: httpx.AsyncClient) -> None:
    """/healthz, /readyz (the database answers) and /metrics are open."""
    assert (await api.get("/healthz")).status_code == 200
    ready = await api.get("/readyz")
    assert ready.status_code == 200
    assert ready.json()["checks"] == {"database": "ok"}
    assert (await api.get("/metrics")).status_code == 200


async def test_a_page_lists_the_most_recently_seen_first(
    api: httpx.AsyncClient, migrated_database: str
) -> None:
    """Newest sighting first; ``next`` keeps the filters; the last page has none."""
    ids = await seed(migrated_database, ["a", "b", "c"])
    page = (await api.get("/members", params={"limit": 2}, headers=AUTH)).json()
    assert page["total"] == 3
    assert [item["id"] for item in page["items"]] == [ids[2], ids[1]]
    assert page["next"] == "/members?limit=2&offset=2"
    last = (await api.get(page["next"], headers=AUTH)).json()
    assert ([item["id"] for item in last["items"]], last["next"]) == ([ids[0]], None)
    member = last["items"][0]
    assert (member["guild_id"], member["user_id"]) == (str(GUILD), "1000")
    assert (member["status"], member["lead_score"], member["display_name"]) == ("member", 0, "a")


async def test_status_and_server_filter_the_list(
    api: httpx.AsyncClient, migrated_database: str
) -> None:
    """``status=hot-lead`` lists the leads only, ``guild_id`` one server's members;
    ``next`` carries them."""
    await seed(migrated_database, ["a", "b", "c"])
    await seed(migrated_database, ["x"], guild=OTHER_GUILD)
    await seed_leads(migrated_database, user=1001, messages=[11])
    await seed_leads(migrated_database, user=1002, messages=[12])
    leads = await api.get("/members", params={"status": "hot-lead", "limit": 1}, headers=AUTH)
    body = leads.json()
    assert (body["total"], body["items"][0]["user_id"]) == (2, "1002")
    assert body["next"] == "/members?status=hot-lead&limit=1&offset=1"
    other = (await api.get("/members", params={"guild_id": OTHER_GUILD}, headers=AUTH)).json()
    assert [item["display_name"] for item in other["items"]] == ["x"]
    plain = (await api.get("/members", params={"status": "member"}, headers=AUTH)).json()
    assert plain["total"] == 2


@pytest.mark.parametrize(
    "params",
    [
        {"status": "lead"},
        {"status": "HOT-LEAD"},
        {"limit": 0},
        {"limit": 101},
        {"offset": -1},
        {"guild_id": -1},
        {"guild_id": 2**63},
        {"guild_id": "abc"},
    ],
)
async def test_invalid_list_parameters_are_422(
    api: httpx.AsyncClient, params: dict[str, object]
) -> None:
    """A status outside the enum, a page out of bounds, a server id that is no int64."""
    assert_problem(await api.get("/members", params=params, headers=AUTH), 422)


async def test_a_member_reads_back_with_their_lead_events(
    api: httpx.AsyncClient, migrated_database: str
) -> None:
    """The member, their events newest first (ids as strings), and the events' count."""
    (member_id,) = await seed(migrated_database, ["Ada"])
    await seed_leads(migrated_database, user=1000, messages=[21, 2**63 - 1, 23])
    response = await api.get(f"/members/{member_id}", headers=AUTH)
    assert response.status_code == 200
    body = response.json()
    assert body["member"]["id"] == member_id
    assert (body["member"]["status"], body["member"]["lead_score"]) == ("hot-lead", 3)
    assert [event["message_id"] for event in body["lead_events"]] == ["23", str(2**63 - 1), "21"]
    assert body["lead_events"][0]["channel_id"] == "77"
    assert body["lead_events_total"] == 3


async def test_a_members_events_are_bounded(
    api: httpx.AsyncClient, migrated_database: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """At most MAX_EVENTS events (the newest); the total says how many there are."""
    monkeypatch.setattr(community_routes, "MAX_EVENTS", 2)
    (member_id,) = await seed(migrated_database, ["Ada"])
    await seed_leads(migrated_database, user=1000, messages=[31, 32, 33])
    body = (await api.get(f"/members/{member_id}", headers=AUTH)).json()
    assert [event["message_id"] for event in body["lead_events"]] == ["33", "32"]
    assert body["lead_events_total"] == 3


async def test_an_unknown_member_is_404_and_a_bad_id_422(api: httpx.AsyncClient) -> None:
    """An id that names nobody (the largest int64 too): 404; not a positive int64: 422."""
    assert_problem(await api.get("/members/999", headers=AUTH), 404)
    assert_problem(await api.get(f"/members/{2**63 - 1}", headers=AUTH), 404)
    for bad in ("abc", "0", "-1", str(2**63), "1.5", "9" * 40):
        assert_problem(await api.get(f"/members/{bad}", headers=AUTH), 422)


def _csv(response: httpx.Response) -> list[list[str]]:
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "text/csv; charset=utf-8"
    assert response.headers["content-disposition"] == 'attachment; filename="members.csv"'
    return list(csv.reader(io.StringIO(response.content.decode("utf-8"), newline="")))


async def test_the_csv_has_a_header_and_every_member(
    api: httpx.AsyncClient, migrated_database: str
) -> None:
    """A header row, then one row per member by id; an empty table is the header alone."""
    empty = _csv(await api.get("/members.csv", headers=AUTH))
    assert empty == [
        [
            "id",
            "guild_id",
            "user_id",
            "display_name",
            "status",
            "lead_score",
            "joined_at",
            "first_seen_at",
            "last_seen_at",
        ]
    ]
    ids = await seed(migrated_database, ["a", "b"])
    rows = _csv(await api.get("/members.csv", headers=AUTH))
    assert [row[0] for row in rows[1:]] == [str(i) for i in ids]
    assert rows[1][1:6] == [str(GUILD), "1000", "a", "member", "0"]
    assert rows[1][6] == "2026-12-01T12:00:00Z"


async def test_names_round_trip_through_a_csv_reader(
    api: httpx.AsyncClient, migrated_database: str
) -> None:
    """Commas, quotes, newlines and non-ASCII in a name come back as they went in."""
    names = ['Smith, "Jo"', "two\nlines", "crlf\r\nname", "Zoë 🎉", 'a""b']
    await seed(migrated_database, names)
    rows = _csv(await api.get("/members.csv", headers=AUTH))
    assert [row[3] for row in rows[1:]] == names


async def test_formula_names_are_neutralised(
    api: httpx.AsyncClient, migrated_database: str
) -> None:
    """A name a spreadsheet would run as a formula gets a leading quote; others do not."""
    names = ['=HYPERLINK("http://evil")', "+1+2", "-2+3", "@SUM(A1)", "\tx", "\rx", "a=b"]
    await seed(migrated_database, names)
    rows = _csv(await api.get("/members.csv", headers=AUTH))
    assert [row[3] for row in rows[1:]] == [
        '\'=HYPERLINK("http://evil")',
        "'+1+2",
        "'-2+3",
        "'@SUM(A1)",
        "'\tx",
        "'\rx",
        "a=b",
    ]


async def test_the_csv_is_read_in_batches_and_filters(
    api: httpx.AsyncClient, migrated_database: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Batches of two: all five members arrive; ``status`` and ``guild_id`` filter."""
    monkeypatch.setattr(
        community_routes, "iter_members", functools.partial(iter_members, batch_size=2)
    )
    await seed(migrated_database, ["a", "b", "c", "d", "e"])
    await seed(migrated_database, ["x"], guild=OTHER_GUILD)
    await seed_leads(migrated_database, user=1003, messages=[41])
    every = _csv(await api.get("/members.csv", headers=AUTH))
    assert len(every) == 1 + 6
    leads = _csv(await api.get("/members.csv", params={"status": "hot-lead"}, headers=AUTH))
    assert [row[2] for row in leads[1:]] == ["1003"]
    other = _csv(await api.get("/members.csv", params={"guild_id": OTHER_GUILD}, headers=AUTH))
    assert [row[3] for row in other[1:]] == ["x"]
    assert_problem(await api.get("/members.csv", params={"status": "x"}, headers=AUTH), 422)


async def test_a_database_that_is_down_is_503_with_retry_after() -> None:
    """/readyz names the database; every member route is 503 problem+json with Retry-After."""
    app = create_app(community_settings(database_url=closed_database_url()))
    async with serving(app) as api:
        ready = await api.get("/readyz")
        assert_problem(ready, 503)
        assert ready.json()["checks"]["database"].startswith("failed")
        for path in ROUTES:
            response = await api.get(path, headers=AUTH)
            assert_problem(response, 503)
            assert response.headers["Retry-After"].isdigit()


def test_an_export_cut_short_is_never_passed_off_as_complete(
    migrated_database: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The database lost after the first batch: the client's download ends without its
    final chunk (an error), not as a shorter CSV that looks whole."""

    async def lost_after_one(pool: object, **_: object) -> AsyncIterator[list[MemberRow]]:
        async for batch in iter_members(pool, batch_size=1):  # type: ignore[arg-type]
            yield batch
            raise ConnectionResetError("the database went away")

    monkeypatch.setattr(community_routes, "iter_members", lost_after_one)
    asyncio.run(seed(migrated_database, ["a", "b"]))
    settings = community_settings(database_url=migrated_database)
    with live_servers() as servers:
        url = servers.start(create_app(settings), settings=settings)
        with pytest.raises(httpx.RemoteProtocolError, match="incomplete"):
            httpx.get(f"{url}/members.csv", headers=AUTH, timeout=10)


def test_the_app_needs_a_database() -> None:
    """Without DATABASE_URL the factory says what is missing."""
    with pytest.raises(ValueError, match="DATABASE_URL"):
        create_app(community_settings(database_url=None))
