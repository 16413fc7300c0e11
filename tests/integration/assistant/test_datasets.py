"""``/v1/datasets`` against PostgreSQL: uploads, their caps and errors (each recording
nothing), and the owner's list, description and deletion."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import httpx
import pytest

from backbone.assistant import create_app
from backbone.assistant.config import AssistantSettings
from backbone.assistant.main import UPLOAD_ENVELOPE
from tests.integration.assistant._owners import DATASETS_TABLE, a_token, count_rows
from tests.integration.assistant._tasks import SALES_CSV, upload
from tests.integration.assistant.conftest import Accounts, assert_problem, bearer, serving

pytestmark = pytest.mark.integration

SettingsFactory = Callable[..., AssistantSettings]
VIEW_MEMBERS = {"dataset_id", "name", "rows", "columns", "created_at"}


async def _refused_upload(
    make_settings: SettingsFactory,
    content: str | bytes,
    *,
    media_type: str = "text/csv",
    filename: str = "data.csv",
    **overrides: Any,
) -> tuple[httpx.Response, int]:
    """Upload ``content`` to an app with ``overrides``; the answer and the datasets recorded."""
    settings = make_settings(**overrides)
    async with serving(create_app(settings)) as api:
        token = await a_token(Accounts(api))
        response = await upload(api, token, content, filename=filename, media_type=media_type)
    assert settings.database_url is not None
    return response, await count_rows(settings.database_url.get_secret_value(), DATASETS_TABLE)


async def test_a_csv_upload_answers_201_with_location_rows_and_typed_columns(
    api: httpx.AsyncClient, accounts: Accounts
) -> None:
    """A CSV upload: 201, Location to the dataset, its rows and the inferred column types."""
    response = await upload(api, await a_token(accounts), SALES_CSV)
    assert response.status_code == 201, response.text
    body = response.json()
    assert response.headers["location"] == f"/v1/datasets/{body['dataset_id']}"
    assert body["rows"] == 28
    assert body["name"] == "sales.csv"
    assert body["columns"] == [
        {"name": "date", "type": "datetime"},
        {"name": "region", "type": "string"},
        {"name": "amount", "type": "number"},
        {"name": "units", "type": "integer"},
    ]


async def test_a_json_array_upload_answers_201(api: httpx.AsyncClient, accounts: Accounts) -> None:
    """A JSON array of objects: 201 with its rows and typed columns (the name as given)."""
    content = json.dumps([{"sku": "a", "price": 1.5, "ok": True}, {"sku": "b", "price": 2}])
    response = await api.post(
        "/v1/datasets",
        files={"file": ("items.json", content.encode(), "application/json")},
        data={"name": "Items"},
        headers=bearer(await a_token(accounts)),
    )
    assert response.status_code == 201, response.text
    body = response.json()
    assert (body["name"], body["rows"]) == ("Items", 2)
    assert body["columns"] == [
        {"name": "sku", "type": "string"},
        {"name": "price", "type": "number"},
        {"name": "ok", "type": "boolean"},
    ]


async def test_a_file_over_the_dataset_cap_is_413(make_settings: SettingsFactory) -> None:
    """A file over dataset_max_bytes (the body within the route's limit): 413, nothing recorded."""
    content = "a,b\n" + "1,2\n" * 100
    response, recorded = await _refused_upload(make_settings, content, dataset_max_bytes=100)
    body = assert_problem(response, 413)
    assert "over the limit of 100" in body["detail"]
    assert recorded == 0


async def test_a_body_over_the_upload_route_limit_is_413(make_settings: SettingsFactory) -> None:
    """A body over the route's own limit (the cap plus the envelope): 413 naming that limit."""
    content = "a\n" + "1\n" * (UPLOAD_ENVELOPE // 2 + 100)
    response, recorded = await _refused_upload(make_settings, content, dataset_max_bytes=100)
    body = assert_problem(response, 413)
    assert body["detail"] == f"The request body is larger than {100 + UPLOAD_ENVELOPE} bytes."
    assert recorded == 0


async def test_a_png_upload_is_415(make_settings: SettingsFactory) -> None:
    """A file that is neither CSV nor JSON: 415 with Accept-Post, nothing recorded."""
    png = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32
    response, recorded = await _refused_upload(
        make_settings, png, media_type="image/png", filename="chart.png"
    )
    assert_problem(response, 415)
    assert response.headers["accept-post"] == "text/csv, application/json"
    assert recorded == 0


async def test_a_ragged_csv_row_is_422_pointing_at_its_line(
    make_settings: SettingsFactory,
) -> None:
    """A CSV record with fewer fields than the header: 422 whose pointer is its line."""
    response, recorded = await _refused_upload(make_settings, "a,b\n1,2\n3\n4,5\n")
    body = assert_problem(response, 422)
    assert body["pointer"] == "line 3"
    assert "1 fields" in body["detail"]
    assert recorded == 0


async def test_a_nested_json_value_is_422_pointing_at_the_item_and_field(
    make_settings: SettingsFactory,
) -> None:
    """A JSON object with a nested value: 422 whose pointer names the item and the field."""
    content = json.dumps([{"a": 1}, {"a": {"b": 2}}])
    response, recorded = await _refused_upload(
        make_settings, content, media_type="application/json", filename="data.json"
    )
    body = assert_problem(response, 422)
    assert body["pointer"] == "[1].a"
    assert recorded == 0


async def test_more_rows_than_the_cap_is_422(make_settings: SettingsFactory) -> None:
    """A CSV with more rows than dataset_max_rows: 422 at the first row too many."""
    response, recorded = await _refused_upload(make_settings, "a\n1\n2\n3\n", dataset_max_rows=2)
    body = assert_problem(response, 422)
    assert body["pointer"] == "line 4"
    assert recorded == 0


async def test_more_columns_than_the_cap_is_422(make_settings: SettingsFactory) -> None:
    """A CSV with more columns than dataset_max_columns: 422 at the header."""
    response, recorded = await _refused_upload(
        make_settings, "a,b,c\n1,2,3\n", dataset_max_columns=2
    )
    body = assert_problem(response, 422)
    assert body["pointer"] == "line 1"
    assert recorded == 0


async def test_an_upload_without_the_file_field_is_422(
    api: httpx.AsyncClient, accounts: Accounts, migrated_database: str
) -> None:
    """A multipart form without ``file``: 422 naming the missing field, nothing recorded."""
    response = await api.post(
        "/v1/datasets",
        files={"attachment": ("data.csv", b"a\n1\n", "text/csv")},
        data={"name": "x"},
        headers=bearer(await a_token(accounts)),
    )
    body = assert_problem(response, 422)
    assert ["body", "file"] in [error["loc"] for error in body["errors"]]
    assert await count_rows(migrated_database, DATASETS_TABLE) == 0


async def test_the_list_is_paginated_newest_first(
    api: httpx.AsyncClient, accounts: Accounts
) -> None:
    """Three datasets listed two a page: newest first, ``next`` to the last one, then null."""
    token = await a_token(accounts)
    ids = []
    for number in range(3):
        created = await upload(api, token, SALES_CSV, filename=f"d{number}.csv")
        ids.append(created.json()["dataset_id"])
    first = await api.get("/v1/datasets", params={"limit": 2}, headers=bearer(token))
    assert first.status_code == 200, first.text
    page = first.json()
    assert [item["dataset_id"] for item in page["items"]] == [ids[2], ids[1]]
    assert (page["total"], page["limit"], page["offset"]) == (3, 2, 0)
    assert page["next"] == "/v1/datasets?limit=2&offset=2"
    rest = (await api.get(page["next"], headers=bearer(token))).json()
    assert [item["dataset_id"] for item in rest["items"]] == [ids[0]]
    assert rest["next"] is None


async def test_a_dataset_is_described_without_its_rows(
    api: httpx.AsyncClient, accounts: Accounts
) -> None:
    """GET of a dataset: the 201's description, and no rows or content."""
    token = await a_token(accounts)
    created = (await upload(api, token, SALES_CSV)).json()
    response = await api.get(f"/v1/datasets/{created['dataset_id']}", headers=bearer(token))
    assert response.status_code == 200, response.text
    assert response.json() == created
    assert set(response.json()) == VIEW_MEMBERS
    listed = (await api.get("/v1/datasets", headers=bearer(token))).json()["items"]
    assert [set(item) for item in listed] == [VIEW_MEMBERS]


async def test_a_deleted_dataset_answers_204_then_404(
    api: httpx.AsyncClient, accounts: Accounts, migrated_database: str
) -> None:
    """DELETE: 204 with no body; then GET and DELETE are 404 and the row is gone."""
    token = await a_token(accounts)
    dataset_id = (await upload(api, token, SALES_CSV)).json()["dataset_id"]
    deleted = await api.delete(f"/v1/datasets/{dataset_id}", headers=bearer(token))
    assert deleted.status_code == 204
    assert deleted.content == b""
    assert_problem(await api.get(f"/v1/datasets/{dataset_id}", headers=bearer(token)), 404)
    assert_problem(await api.delete(f"/v1/datasets/{dataset_id}", headers=bearer(token)), 404)
    assert await count_rows(migrated_database, DATASETS_TABLE) == 0


async def test_a_malformed_dataset_id_is_422(api: httpx.AsyncClient, accounts: Accounts) -> None:
    """A dataset id that is not a UUID: 422, never a 404 or a 500."""
    response = await api.get("/v1/datasets/not-a-uuid", headers=bearer(await a_token(accounts)))
    assert_problem(response, 422)


async def test_an_upload_that_is_not_multipart_is_415(
    api: httpx.AsyncClient, accounts: Accounts, migrated_database: str
) -> None:
    """The table sent as a JSON body instead of a multipart form: 415, nothing recorded."""
    response = await api.post(
        "/v1/datasets", json=[{"a": 1}], headers=bearer(await a_token(accounts))
    )
    assert_problem(response, 415)
    assert response.headers["accept-post"] == "multipart/form-data"
    assert await count_rows(migrated_database, DATASETS_TABLE) == 0


async def test_a_file_that_is_not_utf8_is_422_pointing_at_its_line(
    make_settings: SettingsFactory,
) -> None:
    """A CSV with a byte that is not UTF-8 on line 2: 422 whose pointer is that line."""
    response, recorded = await _refused_upload(make_settings, b"name\ncaf\xe9\n")
    body = assert_problem(response, 422)
    assert body["pointer"] == "line 2"
    assert recorded == 0
