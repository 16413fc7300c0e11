"""pandas and numpy scalars as plain JSON values: NaN, infinities, NA and NaT become None."""

from __future__ import annotations

import math
from datetime import datetime

import numpy as np
import pandas as pd  # type: ignore[import-untyped]

from backbone.assistant.datasets import JSONScalar

__all__ = ["number", "plain", "quiet", "stamp"]

# Extreme but finite data (1e308 and -1e308) overflows to inf inside numpy; the tools
# report inf as None, so the warnings would only add noise. As a decorator, errstate
# keeps its state per call in a context variable: safe across threads.
quiet = np.errstate(over="ignore", invalid="ignore", divide="ignore")


def number(value: object) -> int | float | None:
    """A finite int or float, or None for anything missing or not finite."""
    if value is None or isinstance(value, bool | np.bool_) or pd.isna(value):
        return None
    if isinstance(value, int | np.integer):
        return int(value)
    if not isinstance(value, float | np.floating):
        return None
    result = float(value)
    return result if math.isfinite(result) else None


def stamp(value: object) -> str | None:
    """A timestamp as ISO-8601, or None for NaT."""
    if value is None or pd.isna(value) or not isinstance(value, datetime):
        return None
    return value.isoformat()


def plain(value: object) -> JSONScalar:
    """Any cell as a JSON scalar: numbers via :func:`number`, timestamps via :func:`stamp`."""
    if value is None or pd.isna(value):
        return None
    if isinstance(value, bool | np.bool_):
        return bool(value)
    if isinstance(value, datetime):
        return stamp(value)
    if isinstance(value, int | float | np.integer | np.floating):
        return number(value)
    return str(value)
