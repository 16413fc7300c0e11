"""The public surface of backbone.bench: what the CLI dispatches to."""

from __future__ import annotations

import backbone.bench as bench
from tests._surface import assert_all_is_the_surface


def test_all_is_the_benchmarks_and_their_options() -> None:
    """__all__ is sorted and the whole surface: a function per benchmark, its option type,
    and the names ``all`` runs."""
    assert_all_is_the_surface(bench)
    assert set(bench.__all__) == {
        "BENCHMARKS",
        "AllOptions",
        "AssistantOptions",
        "CommunityOptions",
        "GatewayOptions",
        "LocustOptions",
        "ReportsOptions",
        "ReviewOptions",
        "bench_all",
        "bench_assistant",
        "bench_client",
        "bench_community",
        "bench_gateway",
        "bench_locust",
        "bench_reports",
        "bench_review",
    }
