"""The public surface of backbone.bench: what the CLI dispatches to."""

from __future__ import annotations

import backbone.bench as bench
from tests._surface import assert_all_is_the_surface


def test_all_is_the_four_benchmarks_and_their_options() -> None:
    """__all__ is sorted and the whole surface: a function per benchmark, three option types."""
    assert_all_is_the_surface(bench)
    assert set(bench.__all__) == {
        "AssistantOptions",
        "GatewayOptions",
        "ReportsOptions",
        "bench_assistant",
        "bench_client",
        "bench_gateway",
        "bench_reports",
    }
