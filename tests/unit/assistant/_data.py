"""Datasets the analysis tests share: built through parse_upload, as the service builds them."""

from __future__ import annotations

import random
from typing import Any

from backbone.assistant.analysis import frame_from_rows
from backbone.assistant.datasets import Column, ParsedDataset, parse_upload


def sales_csv(rows: int = 240, seed: int = 7) -> bytes:
    """Daily-ish sales over two years: a rising trend, three regions, one outlier price."""
    rng = random.Random(seed)
    lines = ["date,region,units,price,discount,paid,note"]
    for i in range(rows):
        month, day = 1 + (i // 10) % 12, 1 + (i * 3) % 28
        year = 2023 + i // 120
        price = 900.0 if i == 17 else round(rng.gauss(50, 8), 2)
        units = 5 + i // 12 + rng.randint(0, 4)
        discount = "" if i % 9 == 0 else f"{units * 0.5 + rng.random():.3f}"
        region = rng.choice(["north", "south", "east"])
        paid = rng.choice(["true", "false"])
        lines.append(
            f"{year}-{month:02d}-{day:02d},{region},{units},{price},{discount},{paid},n{i}"
        )
    return ("\n".join(lines) + "\n").encode()


def sales() -> ParsedDataset:
    """The parsed sales dataset."""
    return parse_upload(sales_csv(), filename="sales.csv", content_type="text/csv")


def sales_frame() -> Any:
    """The sales dataset as a typed frame."""
    dataset = sales()
    return frame_from_rows(dataset.rows, dataset.columns)


def frame(columns: dict[str, str], *rows: dict[str, Any]) -> Any:
    """A small frame from column types and rows."""
    typed = [Column(name, type_) for name, type_ in columns.items()]
    return frame_from_rows(list(rows), typed)
