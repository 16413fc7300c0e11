"""``compose_report``: the tools' outputs as a readable Markdown report."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

from backbone.assistant.analysis._findings import ToolResult
from backbone.assistant.analysis._text import MISSING, fmt, inline, pct

__all__ = ["compose_report"]

_MAX_POINTS = 24
_MAX_EXAMPLES = 5

Lines = list[str]


def _row(cells: Sequence[str]) -> str:
    return "| " + " | ".join(cells) + " |"


def _table(header: Sequence[str], rows: Sequence[Sequence[str]]) -> Lines:
    return [_row(header), _row(["---"] * len(header)), *(_row(row) for row in rows)]


def _top(column: Mapping[str, Any]) -> str:
    top = column.get("top") or []
    return ", ".join(f"{inline(entry['value'], 24)} ({entry['count']:,})" for entry in top)


def _stats(output: Mapping[str, Any]) -> Lines:
    header = ["Column", "Type", "Count", "Missing", "Mean", "Std", "Min", "Median", "Max", "Top"]
    rows = [
        [inline(name), column["type"], fmt(column["count"]), fmt(column["missing"])]
        + [fmt(column.get(key)) for key in ("mean", "std", "min", "50%", "max")]
        + [_top(column) or MISSING]
        for name, column in output["columns"].items()
    ]
    return [f"{output['rows']:,} rows, {len(rows)} columns.", "", *_table(header, rows)]


def _trend(output: Mapping[str, Any]) -> Lines:
    points, period = output["points"], output["period"]
    if not points:
        return ["No row has both a date and a value."]
    lines = [
        f"The {output['aggregate']} of {inline(output['value'])} per {period} of "
        f"{inline(output['date'])}, {len(points)} {period}s from {points[0]['period'][:10]} "
        f"to {points[-1]['period'][:10]}.",
    ]
    if output["direction"] is not None:
        lines.append(
            f"Direction: **{output['direction']}**, slope {fmt(output['slope'])} per {period} "
            f"(fitted change {fmt(output['change'])} over the span)."
        )
    shown = points[-_MAX_POINTS:]
    if len(shown) < len(points):
        lines.append(f"The last {len(shown)} {period}s:")
    lines += ["", *(f"- {point['period'][:10]}: {fmt(point['value'])}" for point in shown)]
    return lines


def _groups(output: Mapping[str, Any]) -> Lines:
    with_value = output["value"] is not None
    header = ["Group", "Rows"] + (["Sum", "Mean"] if with_value else [])
    rows = [
        [inline(group["key"]), fmt(group["count"])]
        + ([fmt(group["sum"]), fmt(group["mean"])] if with_value else [])
        for group in output["groups"]
    ]
    about = f", with the sum and mean of {inline(output['value'])}" if with_value else ""
    lines = [f"Rows per value of {inline(output['by'])}{about}.", "", *_table(header, rows)]
    if output["truncated"]:
        lines += ["", f"The largest {len(rows)} of {output['groups_total']:,} groups."]
    if output["rows_without_key"]:
        lines += ["", f"{output['rows_without_key']:,} rows have no value and are left out."]
    return lines


def _outliers(output: Mapping[str, Any]) -> Lines:
    lines = [f"Values beyond {output['factor']} IQR outside the quartiles.", ""]
    for name, column in output["columns"].items():
        if column["q1"] is None:
            lines.append(f"- {inline(name)}: no values.")
            continue
        fences = f"[{fmt(column['lower_fence'])}, {fmt(column['upper_fence'])}]"
        quartiles = f"Q1 {fmt(column['q1'])}, Q3 {fmt(column['q3'])}, IQR {fmt(column['iqr'])}"
        examples = ", ".join(
            f"row {example['row']:,} = {fmt(example['value'])}"
            for example in column["examples"][:_MAX_EXAMPLES]
        )
        found = f"{column['count']:,} ({pct(column['share'])})" if column["count"] else "none"
        lines.append(f"- {inline(name)}: {found} outside {fences}; {quartiles}.")
        if examples:
            lines[-1] += f" Most extreme: {examples}."
    return lines


def _correlations(output: Mapping[str, Any]) -> Lines:
    if not output["pairs"]:
        return ["No pair of numeric columns has a defined correlation."]
    lines = [
        f"- {inline(pair['a'])} ~ {inline(pair['b'])}: r = {pair['r']:.3f} (n = {pair['n']:,})"
        for pair in output["pairs"]
    ]
    if output["pairs_total"] > len(lines):
        lines.append(f"- … {output['pairs_total'] - len(lines):,} weaker pairs.")
    if output["undefined"]:
        lines.append(f"- {output['undefined']:,} pairs undefined (a constant or empty column).")
    return lines


_SECTIONS: dict[str, tuple[str, Callable[[Mapping[str, Any]], Lines]]] = {
    "column_stats": ("Column statistics", _stats),
    "trend": ("Trend", _trend),
    "group_by": ("Groups", _groups),
    "outliers": ("Outliers (IQR rule)", _outliers),
    "correlations": ("Correlations (Pearson)", _correlations),
}


def _section(name: str, args: Mapping[str, Any], output: Any) -> Lines:
    title, render = _SECTIONS.get(name, (inline(name), None))
    lines = [f"## {title}", ""]
    if args:
        lines += ["Arguments: " + ", ".join(f"{key}={inline(v)}" for key, v in args.items()), ""]
    if not isinstance(output, Mapping):
        return [*lines, f"The tool did not answer with data: {inline(output, 200)}"]
    if render is None:
        return [*lines, f"Output: {inline(output, 200)}"]
    return lines + render(output)


def compose_report(results: Sequence[ToolResult]) -> str:
    """A Markdown report with one section per tool call, in the order given.

    Numbers are formatted for reading (thousands separators, about four significant
    digits); names and values from the dataset appear as bounded one-line code spans,
    so the data cannot restructure the report. A call whose output is not a dict (a
    failed call's message) gets a section saying so.
    """
    lines = ["# Analysis report"]
    for name, args, output in results:
        lines += ["", *_section(name, args, output)]
    if not results:
        lines += ["", "No analysis was run."]
    return "\n".join(lines) + "\n"
