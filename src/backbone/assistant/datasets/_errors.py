"""The exceptions of ``backbone.assistant.datasets``.

Exception tree::

    Exception
    └── DatasetError                  the root (.status, .title, .detail, .pointer)
        ├── DatasetTooLargeError      413: the upload is over ``DatasetLimits.max_bytes``
        ├── UnsupportedMediaTypeError 415: neither CSV nor JSON, or a charset other than UTF-8
        └── InvalidDatasetError       422: the content is not a usable table; ``pointer``
                                      names the line (CSV) or the item and field (JSON)

Each carries what a problem+json answer needs, so the HTTP layer maps them without
knowing the cases: ``status``, ``title``, ``detail`` and ``pointer``.
"""

from __future__ import annotations

from typing import ClassVar

__all__ = [
    "DatasetError",
    "DatasetTooLargeError",
    "InvalidDatasetError",
    "UnsupportedMediaTypeError",
]


class DatasetError(Exception):
    """The root of every exception raised while parsing an uploaded dataset."""

    status: ClassVar[int] = 422
    title: ClassVar[str] = "Invalid dataset"

    def __init__(self, detail: str, *, pointer: str | None = None) -> None:
        self.detail = detail
        self.pointer = pointer
        where = f" ({pointer})" if pointer else ""
        super().__init__(f"{self.status} {self.title}: {detail}{where}")


class DatasetTooLargeError(DatasetError):
    """The upload is larger than the configured limit."""

    status = 413
    title = "Dataset too large"


class UnsupportedMediaTypeError(DatasetError):
    """The upload is neither CSV nor JSON (by content type, else by file name)."""

    status = 415
    title = "Unsupported media type"


class InvalidDatasetError(DatasetError):
    """The content cannot be read as a table: the pointer says where it failed."""

    status = 422
    title = "Invalid dataset"
