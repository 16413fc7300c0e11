"""``/v1/datasets``: upload (multipart), list, describe, delete — each scoped to its owner."""

from __future__ import annotations

import logging
import uuid
from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, File, Form, Path, Request, UploadFile
from pydantic import BaseModel
from starlette.responses import Response

from backbone.assistant.datasets import DatasetError, DatasetLimits, parse_upload
from backbone.assistant.datasets.models import Dataset
from backbone.assistant.datasets.store import (
    create_dataset,
    delete_dataset,
    get_dataset,
    page_of_datasets,
)
from backbone.assistant.deps import CurrentUser, SessionDep, SettingsDep
from backbone.core.pagination import Limit, Offset, Page
from backbone.core.problems import ProblemError, problem_responses

__all__ = ["DATASETS_PATH", "ColumnView", "DatasetPage", "DatasetView", "router"]

logger = logging.getLogger(__name__)

router = APIRouter(tags=["datasets"])

DATASETS_PATH = "/v1/datasets"
MULTIPART = "multipart/form-data"
DatasetId = Annotated[uuid.UUID, Path(description="The dataset's id, as the 201 gave it.")]
Responses = dict[int | str, dict[str, Any]]
NAME_PATTERN = r"^[^\x00]*$"
"""A dataset's name holds no NUL (PostgreSQL text cannot)."""

UNAUTHORIZED = problem_responses([401], description="No valid access token.")
VALIDATION = problem_responses([422], description="The request did not validate.")
NOT_FOUND = problem_responses([404], description="No such dataset, or not the caller's.")
UNAVAILABLE = problem_responses([503], description="PostgreSQL is unreachable.")


class ColumnView(BaseModel):
    """A column and its inferred type."""

    name: str
    type: str


class DatasetView(BaseModel):
    """A dataset as the API shows it (never its rows)."""

    dataset_id: uuid.UUID
    name: str
    rows: int
    columns: list[ColumnView]
    created_at: datetime

    @classmethod
    def of(cls, dataset: Dataset) -> DatasetView:
        """The view of a dataset row."""
        return cls(
            dataset_id=dataset.id,
            name=dataset.name,
            rows=dataset.rows,
            columns=[ColumnView(**column) for column in dataset.columns],
            created_at=dataset.created_at,
        )


class DatasetPage(Page[DatasetView]):
    """A page of datasets."""


def _limits(settings: Any) -> DatasetLimits:
    return DatasetLimits(
        max_bytes=settings.dataset_max_bytes,
        max_rows=settings.dataset_max_rows,
        max_columns=settings.dataset_max_columns,
    )


def _problem(exc: DatasetError) -> ProblemError:
    extra = {"pointer": exc.pointer} if exc.pointer else None
    headers = {"Accept-Post": "text/csv, application/json"} if exc.status == 415 else None
    return ProblemError(exc.status, detail=exc.detail, extra=extra, headers=headers)


async def multipart_body(request: Request) -> None:
    """415 for a body that is not a multipart form (FastAPI would only miss ``file``: 422)."""
    media_type = request.headers.get("content-type", "").split(";", 1)[0].strip().lower()
    if media_type != MULTIPART:
        detail = f"Send the file as {MULTIPART}."
        raise ProblemError(415, detail=detail, headers={"Accept-Post": MULTIPART})


@router.post(
    DATASETS_PATH,
    operation_id="uploadDataset",
    summary="Upload a CSV file or a JSON array of objects.",
    status_code=201,
    response_model=DatasetView,
    responses={
        201: {
            "description": "The dataset.",
            "headers": {"Location": {"schema": {"type": "string"}}},
        },
        **problem_responses([400], description="The body does not decode."),
        **UNAUTHORIZED,
        **problem_responses([413, 415]),
        **VALIDATION,
        **UNAVAILABLE,
    },
)
async def upload_dataset(
    user: CurrentUser,
    _multipart: Annotated[None, Depends(multipart_body)],
    settings: SettingsDep,
    session: SessionDep,
    response: Response,
    file: Annotated[UploadFile, File(description="A CSV file or a JSON array of objects.")],
    name: Annotated[str | None, Form(min_length=1, max_length=200, pattern=NAME_PATTERN)] = None,
) -> DatasetView:
    limits = _limits(settings)
    content = await file.read(limits.max_bytes + 1)
    try:
        parsed = parse_upload(
            content, filename=file.filename, content_type=file.content_type, limits=limits
        )
    except DatasetError as exc:
        raise _problem(exc) from None
    dataset = await create_dataset(
        session,
        owner=user.id,
        name=name or (file.filename or "").replace("\x00", "") or "dataset",
        media_type=parsed.media_type,
        content=content,
        parsed=parsed,
    )
    logger.info(
        "dataset_uploaded dataset_id=%s rows=%d columns=%d bytes=%d",
        dataset.id, dataset.rows, len(dataset.columns), dataset.size_bytes,
    )  # fmt: skip
    response.headers["Location"] = f"{DATASETS_PATH}/{dataset.id}"
    return DatasetView.of(dataset)


@router.get(
    DATASETS_PATH,
    operation_id="listDatasets",
    summary="A page of the caller's datasets, newest first.",
    response_model=DatasetPage,
    responses={200: {"description": "The page."}, **UNAUTHORIZED, **VALIDATION, **UNAVAILABLE},
)
async def list_datasets(
    user: CurrentUser, session: SessionDep, limit: Limit = 20, offset: Offset = 0
) -> DatasetPage:
    items, total = await page_of_datasets(session, owner=user.id, limit=limit, offset=offset)
    views = [DatasetView.of(item) for item in items]
    return DatasetPage.of(
        views, total=total, limit=limit, offset=offset, path=DATASETS_PATH, filters={}
    )


def _one(status: int, description: str) -> Responses:
    return {
        status: {"description": description},
        **UNAUTHORIZED,
        **NOT_FOUND,
        **VALIDATION,
        **UNAVAILABLE,
    }


@router.get(
    f"{DATASETS_PATH}/{{dataset_id}}",
    operation_id="getDataset",
    summary="A dataset's description (not its rows).",
    response_model=DatasetView,
    responses=_one(200, "The dataset."),
)
async def describe_dataset(
    dataset_id: DatasetId, user: CurrentUser, session: SessionDep
) -> DatasetView:
    dataset = await get_dataset(session, dataset_id, owner=user.id)
    if dataset is None:
        raise ProblemError(404, detail="No dataset has this id.")
    return DatasetView.of(dataset)


@router.delete(
    f"{DATASETS_PATH}/{{dataset_id}}",
    operation_id="deleteDataset",
    summary="Delete a dataset. Tasks that already read it keep their results.",
    status_code=204,
    response_class=Response,
    responses=_one(204, "Deleted."),
)
async def remove_dataset(dataset_id: DatasetId, user: CurrentUser, session: SessionDep) -> Response:
    if not await delete_dataset(session, dataset_id, owner=user.id):
        raise ProblemError(404, detail="No dataset has this id.")
    logger.info("dataset_deleted dataset_id=%s", dataset_id)
    return Response(status_code=204)
