"""``group_by`` and ``correlations``: how columns relate to each other."""

from __future__ import annotations

from typing import Any

from backbone.assistant.analysis._args import CorrelationsArgs, GroupByArgs
from backbone.assistant.analysis._convert import number, plain, quiet
from backbone.assistant.analysis._errors import InvalidArgumentsError
from backbone.assistant.analysis._frame import numeric_columns, require_column

__all__ = ["correlations", "group_by"]


def _groups(frame: Any, by: str, value: str | None) -> list[dict[str, Any]]:
    """Every group as ``{key, count[, sum, mean]}``, largest first, ties by key."""
    grouped = frame.groupby(by, dropna=True, sort=False, observed=True)
    # Indexed by key, never reset into columns: a dataset column may be called "size".
    table = (
        grouped.size().to_frame("count")
        if value is None
        else grouped[value].agg(["size", "sum", "mean"]).set_axis(["count", "sum", "mean"], axis=1)
    )
    ranked: list[tuple[int, Any, dict[str, Any]]] = []
    for key, row in zip(table.index, table.to_dict("records"), strict=True):
        group: dict[str, Any] = {"key": plain(key), "count": int(row["count"])}
        if value is not None:
            group |= {"sum": number(row["sum"]), "mean": number(row["mean"])}
        ranked.append((group["count"], group["key"], group))
    ranked.sort(key=lambda entry: (-entry[0], entry[1]))
    return [group for _, _, group in ranked]


@quiet
def group_by(frame: Any, args: GroupByArgs) -> dict[str, Any]:
    """Rows per distinct value of ``by`` (missing keys left out, counted apart) and, with
    ``value``, its sum and mean per group (pandas ``groupby().agg``: missing values are
    skipped). Groups are sorted by row count, largest first (ties by key); at most
    ``limit`` are listed, ``groups_total`` says how many there are.
    """
    wanted = "a text, boolean or integer column"
    keys = require_column(frame, args.by, ("string", "boolean", "integer"), wanted)
    if args.value is not None:
        if args.value == args.by:
            raise InvalidArgumentsError("`value` must be a column other than `by`")
        require_column(frame, args.value, ("integer", "number"), "a numeric column")
    groups = _groups(frame, args.by, args.value)
    return {
        "by": args.by,
        "value": args.value,
        "groups": groups[: args.limit],
        "groups_total": len(groups),
        "truncated": len(groups) > args.limit,
        "rows_without_key": int(keys.isna().sum()),
    }


@quiet
def correlations(frame: Any, args: CorrelationsArgs) -> dict[str, Any]:
    """Pearson's r between every pair of numeric columns (``DataFrame.corr()``, over the
    rows where both are present; ``n`` is that count), the strongest ``|r|`` first, ties
    by name. Pairs where r is undefined (a constant column, fewer than 2 rows in common)
    are counted in ``undefined``, not listed.
    """
    if args.columns is None:
        names = numeric_columns(frame)
    else:
        names = list(dict.fromkeys(args.columns))
        for name in names:
            require_column(frame, name, ("integer", "number"), "a numeric column")
    result: dict[str, Any] = {"method": "pearson", "columns": names, "pairs": []}
    if len(names) < 2:
        return result | {"pairs_total": 0, "undefined": 0}
    values = frame[names].astype("float64")
    matrix = values.corr(method="pearson").to_numpy()
    present = values.notna().astype("int64").to_numpy()
    overlap = present.T @ present
    found: list[tuple[float, str, str, int]] = []
    for i, first in enumerate(names):
        for j in range(i + 1, len(names)):
            if (r := number(matrix[i, j])) is not None:
                found.append((float(r), first, names[j], int(overlap[i, j])))
    found.sort(key=lambda pair: (-abs(pair[0]), pair[1], pair[2]))
    pairs = [{"a": a, "b": b, "r": r, "n": n} for r, a, b, n in found[: args.top]]
    total = len(names) * (len(names) - 1) // 2
    return result | {"pairs": pairs, "pairs_total": len(found), "undefined": total - len(found)}
