"""``analysis_data``: the ``result.data`` of an analysis, numbers straight from pandas.

The column summaries are recomputed from the frame, never copied from what a model
said; findings quote the numbers of the tools' own outputs.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

from backbone.assistant.analysis._args import ColumnStatsArgs
from backbone.assistant.analysis._stats import column_stats
from backbone.assistant.analysis._text import fmt, inline, pct

__all__ = ["MISSING_SHARE", "STRONG_R", "WEAK_R", "ToolResult", "analysis_data"]

ToolResult = tuple[str, Mapping[str, Any], Any]
"""One tool call: its name, its arguments, its output (a dict, or an error's text)."""

MISSING_SHARE = 0.1
"""A column missing in at least this share of rows is a finding."""
WEAK_R, STRONG_R = 0.5, 0.7
"""|r| from which a correlation is reported as moderate, and as strong."""
_MAX_CORRELATIONS = 3

Finding = dict[str, Any]


def _outliers(output: Mapping[str, Any], rows: int) -> list[Finding]:
    findings = []
    for name, column in output["columns"].items():
        if count := column["count"]:
            low, high = fmt(column["lower_fence"]), fmt(column["upper_fence"])
            text = (
                f"{inline(name)} has {count} outlier{'s' * (count != 1)} outside "
                f"[{low}, {high}] ({pct(column['share'])} of its values, IQR rule)."
            )
            keys = ("count", "below", "above", "share", "lower_fence", "upper_fence")
            findings.append(
                {"kind": "outlier", "column": name, "text": text}
                | {key: column[key] for key in keys}
            )
    return findings


def _correlations(output: Mapping[str, Any], rows: int) -> list[Finding]:
    findings = []
    for pair in output["pairs"][:_MAX_CORRELATIONS]:
        r = pair["r"]
        if abs(r) < WEAK_R:
            break  # pairs are sorted by |r|: the rest are weaker still
        strength = "strongly" if abs(r) >= STRONG_R else "moderately"
        sign = "positively" if r > 0 else "negatively"
        text = (
            f"{inline(pair['a'])} and {inline(pair['b'])} are {strength} {sign} correlated "
            f"(r = {r:.2f}, n = {pair['n']:,})."
        )
        findings.append(
            {
                "kind": "correlation",
                "columns": [pair["a"], pair["b"]],
                "r": r,
                "n": pair["n"],
                "text": text,
            }
        )
    return findings


def _trend(output: Mapping[str, Any], rows: int) -> list[Finding]:
    if (direction := output["direction"]) is None:
        return []
    period, points = output["period"], output["points"]
    moves = "stays flat" if direction == "flat" else f"goes {direction}"
    text = (
        f"The {output['aggregate']} of {inline(output['value'])} per {period} {moves} from "
        f"{points[0]['period'][:10]} to {points[-1]['period'][:10]} "
        f"(slope {fmt(output['slope'])} per {period}, {len(points)} {period}s)."
    )
    keys = ("date", "period", "aggregate", "direction", "slope", "change")
    return [
        {"kind": "trend", "column": output["value"], "text": text}
        | {key: output[key] for key in keys}
    ]


def _groups(output: Mapping[str, Any], rows: int) -> list[Finding]:
    groups, by, value = output["groups"], output["by"], output["value"]
    if not groups:
        return []
    top = groups[0]
    share = top["count"] / rows if rows else None
    text = (
        f"{inline(top['key'])} is the largest group of {inline(by)}: "
        f"{top['count']:,} of {rows:,} rows ({pct(share)}), of {output['groups_total']} groups."
    )
    findings = [
        {
            "kind": "group",
            "column": by,
            "key": top["key"],
            "count": top["count"],
            "share": share,
            "text": text,
        }
    ]
    means = [group for group in groups if group.get("mean") is not None]
    if value is not None and len(means) >= 2:
        best = max(means, key=lambda group: group["mean"])
        text = (
            f"{inline(best['key'])} has the highest mean {inline(value)} among the listed "
            f"groups of {inline(by)}: {fmt(best['mean'])}."
        )
        findings.append(
            {
                "kind": "group",
                "column": by,
                "value": value,
                "key": best["key"],
                "mean": best["mean"],
                "text": text,
            }
        )
    return findings


def _missing(columns: Mapping[str, Any], rows: int) -> list[Finding]:
    findings = []
    for name, column in columns.items():
        share = column["missing"] / rows if rows else 0.0
        if column["missing"] and share >= MISSING_SHARE:
            count = column["missing"]
            text = f"{inline(name)} is missing in {count:,} of {rows:,} rows ({pct(share)})."
            findings.append(
                {
                    "kind": "missing",
                    "column": name,
                    "missing": column["missing"],
                    "share": share,
                    "text": text,
                }
            )
    return findings


_FINDERS: dict[str, Callable[[Mapping[str, Any], int], list[Finding]]] = {
    "trend": _trend,
    "outliers": _outliers,
    "correlations": _correlations,
    "group_by": _groups,
}


def analysis_data(frame: Any, tool_outputs: Sequence[ToolResult]) -> dict[str, Any]:
    """``{"rows", "columns", "findings"}`` for a job's ``result.data``.

    ``columns`` is :func:`column_stats` over the whole frame (type, count, missing,
    mean, std, min, max, and per type quartiles or top values). ``findings`` are short
    sentences with their numbers: one per column with outliers, correlations with
    ``|r| >= 0.5`` (at most 3), the trend's direction, the largest group (and the
    highest mean), and columns missing in 10% of rows or more. Outputs that are not
    dicts (a failed call's message) and unknown tools add no findings; a finding
    repeated by a repeated call appears once.
    """
    rows = len(frame)
    columns = column_stats(frame, ColumnStatsArgs())["columns"]
    findings: list[Finding] = []
    for name, _args, output in tool_outputs:
        if isinstance(output, Mapping) and (finder := _FINDERS.get(name)) is not None:
            findings.extend(finder(output, rows))
    findings.extend(_missing(columns, rows))
    unique = list({finding["text"]: finding for finding in findings}.values())
    return {"rows": rows, "columns": columns, "findings": unique}
