"""The agentic AI backend (port 8002): users and JWT auth, datasets, agent tasks.

``create_app`` builds the API (``backbone serve assistant``); it is imported on first
use, so that a worker importing the task kind does not load FastAPI.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from backbone.assistant.main import create_app

__all__ = ["create_app"]


def __getattr__(name: str) -> Any:
    if name == "create_app":
        from backbone.assistant.main import create_app

        return create_app
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
