"""The public surface of backbone.bench: what the CLI dispatches to."""

from __future__ import annotations

import backbone.bench as bench


def test_all_is_sorted_and_exact() -> None:
    """__all__ lists exactly the three benchmarks and their options, sorted."""
    assert bench.__all__ == sorted(bench.__all__)
    assert set(bench.__all__) == {
        "GatewayOptions",
        "ReportsOptions",
        "bench_client",
        "bench_gateway",
        "bench_reports",
    }
    for name in bench.__all__:
        assert getattr(bench, name) is not None
