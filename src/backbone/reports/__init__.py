"""The report processor (issue 4): a FastAPI API, Celery workers, a job table in PostgreSQL.

``create_app`` builds the API (``backbone serve reports``); it is imported on first
use, so that a worker importing ``backbone.reports.worker`` does not load FastAPI.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from backbone.reports.main import create_app

__all__ = ["create_app"]


def __getattr__(name: str) -> Any:
    if name == "create_app":
        from backbone.reports.main import create_app

        return create_app
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
