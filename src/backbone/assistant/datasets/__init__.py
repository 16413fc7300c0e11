"""``backbone.assistant.datasets``: uploaded CSV and JSON files as typed, JSON-ready rows.

:func:`parse_upload` reads the bytes of an upload within :class:`DatasetLimits` and
returns a :class:`ParsedDataset`: rows (``dict`` of column name to a JSON scalar,
``None`` where missing) and :class:`Column` s whose type (``integer``, ``number``,
``boolean``, ``datetime``, ``string``) is inferred over every non-missing value.
The content is data only: nothing in it is evaluated, and a formula stays text.

Exception tree::

    Exception
    └── DatasetError                  the root (.status, .title, .detail, .pointer)
        ├── DatasetTooLargeError      413: the upload is over ``DatasetLimits.max_bytes``
        ├── UnsupportedMediaTypeError 415: neither CSV nor JSON, or a charset other than UTF-8
        └── InvalidDatasetError       422: the content is not a usable table; ``pointer``
                                      names the line (CSV) or the item and field (JSON)

Example::

    dataset = parse_upload(body, filename="sales.csv", content_type="text/csv")
    dataset.columns  # [Column(name='date', type='datetime'), Column('amount', 'number')]
"""

from backbone.assistant.datasets._errors import (
    DatasetError,
    DatasetTooLargeError,
    InvalidDatasetError,
    UnsupportedMediaTypeError,
)
from backbone.assistant.datasets._model import (
    COLUMN_TYPES,
    Column,
    ColumnType,
    DatasetLimits,
    JSONScalar,
    ParsedDataset,
)
from backbone.assistant.datasets._parse import parse_upload

__all__ = [
    "COLUMN_TYPES",
    "Column",
    "ColumnType",
    "DatasetError",
    "DatasetLimits",
    "DatasetTooLargeError",
    "InvalidDatasetError",
    "JSONScalar",
    "ParsedDataset",
    "UnsupportedMediaTypeError",
    "parse_upload",
]
