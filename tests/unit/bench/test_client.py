"""``backbone bench client`` measures the three clients and prints their table."""

from __future__ import annotations

import pytest

from backbone.bench._client import BARE, RESILIENT, TENACITY, bench_client, measure


def test_bench_client_prints_one_row_per_client(capsys: pytest.CaptureFixture[str]) -> None:
    """With tiny numbers the table has the bare, ResilientClient and tenacity rows."""
    bench_client(requests=20, rounds=2)
    out = capsys.readouterr().out
    assert "median of 2 rounds" in out
    rows = [line for line in out.splitlines() if line.startswith("│")]
    assert [row.split("│")[1].strip() for row in rows] == [BARE, RESILIENT, TENACITY]
    bare_cells = [cell.strip() for cell in rows[0].split("│")[2:5]]
    assert bare_cells[1:] == ["+0.0", "1.00x"]
    assert float(bare_cells[0]) > 0


def test_measure_rows_are_consistent() -> None:
    """Overhead is the difference from bare and the ratio the quotient."""
    rows = measure(requests=10, rounds=1)
    bare = rows[0]
    assert (bare.name, bare.overhead_us, bare.ratio) == (BARE, 0.0, 1.0)
    for row in rows:
        assert row.us_per_request > 0
        assert row.overhead_us == pytest.approx(row.us_per_request - bare.us_per_request)
        assert row.ratio == pytest.approx(row.us_per_request / bare.us_per_request)


@pytest.mark.parametrize(("requests", "rounds"), [(0, 1), (1, 0)])
def test_measure_rejects_empty_runs(requests: int, rounds: int) -> None:
    """Zero requests or rounds would divide by zero: refused."""
    with pytest.raises(ValueError, match=">= 1"):
        measure(requests=requests, rounds=rounds)
