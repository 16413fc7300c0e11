"""Column names: present, short enough, few enough, and unique ignoring case.

Names are compared case-insensitively because the planner matches the names a
question mentions that way: ``Price`` and ``price`` would be ambiguous.
"""

from __future__ import annotations

from collections.abc import Sequence

from backbone.assistant.datasets._errors import InvalidDatasetError
from backbone.assistant.datasets._model import DatasetLimits

__all__ = ["check_name", "check_names"]


def check_name(name: str, limits: DatasetLimits, *, pointer: str, position: str) -> None:
    """Refuse an empty, over-long or NUL-bearing column name."""
    if not name.strip():
        raise InvalidDatasetError(f"{position} has an empty name", pointer=pointer)
    if len(name) > limits.max_name_length:
        detail = (
            f"{position} has a name of {len(name)} characters, "
            f"over the limit of {limits.max_name_length}"
        )
        raise InvalidDatasetError(detail, pointer=pointer)
    if "\0" in name:
        raise InvalidDatasetError(f"{position} has a NUL character in its name", pointer=pointer)


def check_names(names: Sequence[str], limits: DatasetLimits, *, pointer: str) -> list[str]:
    """The header's names, checked one by one and together (count, case-blind duplicates)."""
    if len(names) > limits.max_columns:
        detail = f"the header has {len(names)} columns, over the limit of {limits.max_columns}"
        raise InvalidDatasetError(detail, pointer=pointer)
    seen: dict[str, str] = {}
    for index, name in enumerate(names, start=1):
        check_name(name, limits, pointer=pointer, position=f"column {index}")
        key = name.casefold()
        if key in seen:
            detail = f"column {index} ({name!r}) repeats the name {seen[key]!r}"
            raise InvalidDatasetError(detail, pointer=pointer)
        seen[key] = name
    return list(names)
