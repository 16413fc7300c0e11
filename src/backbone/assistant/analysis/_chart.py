"""``render_chart``: one PNG of the most telling column, drawn without pyplot.

A ``Figure`` with its own Agg canvas holds no global state, so charts can be rendered
from several threads at once (pyplot's figure registry and current-axes are global).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from datetime import datetime
from functools import lru_cache
from io import BytesIO
from typing import Any

import numpy as np
from matplotlib import font_manager
from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from backbone.assistant.analysis._convert import quiet
from backbone.assistant.analysis._findings import ToolResult
from backbone.assistant.analysis._frame import column_type, numeric_columns

__all__ = ["CHART_SIZE", "render_chart"]

CHART_SIZE = (800, 450)
"""Width and height of the PNG, in pixels."""
_DPI = 100
_MAX_BARS = 10
_MAX_LABEL = 30


@lru_cache(maxsize=1)
def _glyphs() -> frozenset[int]:
    """The code points the default font can draw."""
    path = font_manager.findfont(font_manager.FontProperties())
    return frozenset(font_manager.get_font(path).get_charmap())


def _label(value: object) -> str:
    """Dataset text safe to draw: one short line, no mathtext, only drawable characters."""
    text = " ".join(str(value).split())
    text = text if len(text) <= _MAX_LABEL else text[: _MAX_LABEL - 1] + "…"
    glyphs = _glyphs()
    # A missing glyph is a warning per character, and "$" would start mathtext parsing.
    text = "".join(char if ord(char) in glyphs else "?" for char in text)
    return text.replace("$", r"\$")


def _last(outputs: Sequence[ToolResult], tool: str) -> Mapping[str, Any] | None:
    found = [out for name, _, out in outputs if name == tool and isinstance(out, Mapping)]
    return found[-1] if found else None


def _draw_trend(axes: Axes, output: Mapping[str, Any] | None) -> bool:
    points = output["points"] if output else []
    if output is None or not any(point["value"] is not None for point in points):
        return False
    x = np.array([datetime.fromisoformat(point["period"]) for point in points], "datetime64[us]")
    y = [math.nan if point["value"] is None else point["value"] for point in points]
    axes.plot(x, y, marker="o", linewidth=1.5, label=_label(output["value"]))
    if output["slope"] is not None:
        fitted = [output["intercept"] + output["slope"] * i for i in range(len(points))]
        axes.plot(x, fitted, linestyle="--", label="least-squares fit")
    axes.legend()
    axes.set_title(f"{output['aggregate']} of {_label(output['value'])} per {output['period']}")
    axes.set_xlabel(_label(output["date"]))
    axes.figure.autofmt_xdate()
    return True


def _histogram_column(frame: Any, outliers: Mapping[str, Any] | None) -> str | None:
    """The numeric column with the most outliers, else the highest coefficient of variation."""
    columns = (outliers or {}).get("columns", {})
    counts = {str(name): int(c["count"]) for name, c in columns.items() if name in frame.columns}
    if counts and max(counts.values()) > 0:
        return max(counts, key=counts.__getitem__)
    spread: dict[str, float] = {}
    for name in numeric_columns(frame):
        values = frame[name].dropna().astype("float64")
        if len(values):
            # The std of one value is NaN and a zero mean divides by zero: no spread.
            ratio = float(values.std() / values.mean()) if values.mean() != 0 else math.nan
            spread[name] = abs(ratio) if math.isfinite(ratio) else 0.0
    return max(spread, key=spread.__getitem__) if spread else None


def _draw_histogram(axes: Axes, frame: Any, outliers: Mapping[str, Any] | None) -> bool:
    name = _histogram_column(frame, outliers)
    if name is None:
        return False
    values = frame[name].dropna().astype("float64").to_numpy()
    scaled = not math.isfinite(float(values.max()) - float(values.min()))
    if scaled:
        values = values / 2.0**64  # the range overflows a float: numpy cannot bin it as is
    axes.hist(values, bins=min(30, max(1, int(math.sqrt(len(values))))))
    fences = (outliers or {}).get("columns", {}).get(name)
    if fences and fences["lower_fence"] is not None and not scaled:
        for fence in (fences["lower_fence"], fences["upper_fence"]):
            axes.axvline(fence, color="tab:red", linestyle="--", linewidth=1)
    axes.set_title(f"Distribution of {_label(name)}")
    axes.set_ylabel("rows")
    return True


def _bar_column(frame: Any, groups: Mapping[str, Any] | None) -> str | None:
    if groups is not None and groups["by"] in frame.columns:
        return str(groups["by"])
    text = [str(c) for c in frame.columns if column_type(frame[c]) in ("string", "boolean")]
    distinct = {name: frame[name].nunique() for name in text if frame[name].count()}
    categorical = [name for name in distinct if distinct[name] >= 2]
    pool = categorical or list(distinct)
    return min(pool, key=lambda name: distinct[name]) if pool else None


def _draw_bars(axes: Axes, frame: Any, groups: Mapping[str, Any] | None) -> bool:
    name = _bar_column(frame, groups)
    if name is None:
        return False
    counts = frame[name].value_counts(dropna=True)
    ranked = sorted(((int(n), str(v)) for v, n in counts.items()), key=lambda p: (-p[0], p[1]))
    top = ranked[:_MAX_BARS][::-1]  # barh draws bottom-up: the largest on top
    # Positions, not labels, place the bars: two values may shorten to the same label.
    axes.barh(range(len(top)), [count for count, _ in top])
    axes.set_yticks(range(len(top)), [_label(value) for _, value in top])
    axes.set_title(f"Most frequent values of {_label(name)}")
    axes.set_xlabel("rows")
    return True


@quiet
def render_chart(frame: Any, tool_outputs: Sequence[ToolResult]) -> bytes:
    """A PNG (800 by 450 pixels) of the most telling view of the data.

    The trend line and its least-squares fit if ``trend`` ran; else a histogram of the
    numeric column with the most outliers (fences drawn), or with the highest
    coefficient of variation; else a bar chart of the most frequent values of the
    ``group_by`` column or the most categorical text column; else a "nothing to chart"
    image. Labels from the data are shortened, and ``$`` cannot start mathtext.
    """
    figure = Figure(figsize=(CHART_SIZE[0] / _DPI, CHART_SIZE[1] / _DPI), dpi=_DPI)
    FigureCanvasAgg(figure)
    axes = figure.add_subplot()
    drawn = (
        _draw_trend(axes, _last(tool_outputs, "trend"))
        or _draw_histogram(axes, frame, _last(tool_outputs, "outliers"))
        or _draw_bars(axes, frame, _last(tool_outputs, "group_by"))
    )
    if not drawn:
        axes.set_axis_off()
        axes.text(0.5, 0.5, "No numeric or text values to chart", ha="center", va="center")
    buffer = BytesIO()
    # No "Software" text chunk: the same data gives the same bytes, whatever the version.
    figure.savefig(buffer, format="png", metadata={"Software": None})
    return buffer.getvalue()
