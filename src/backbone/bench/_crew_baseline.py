"""The baseline of ``backbone bench assistant``: the analysis crew kicked off bare, in one process.

``python -m backbone.bench._crew_baseline TASKS OUT DATA_DIR`` parses :data:`DATASET` once,
builds the frame and the plan as :mod:`backbone.assistant.analysis_task` does, and then
times two loops of ``TASKS`` runs each, after a warm-up (CrewAI's first kickoff in a
process costs seconds):

- ``kickoff``: :func:`backbone.agents.run_crew` with the analysis crew, the plan and the
  offline engine ``local`` — ``Crew.kickoff()`` and nothing else;
- ``analysis``: the same, plus what a task does around the crew (the result's data and
  the chart), still without the API, the job table or a worker.

It writes ``{"kickoff": {"tasks": ..., "seconds": ..., "errors": ...}, "analysis": ...}``
to ``OUT``. A process of its own, so that CrewAI is never imported by the benchmark and
writes its files under ``DATA_DIR``.
"""

from __future__ import annotations

import json
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

__all__ = ["DATASET", "KICKOFF", "WHOLE", "main", "measure"]

_ROWS = "".join(
    f"2026-{1 + day // 28:02d}-{1 + day % 28:02d},{('north', 'south', 'east')[day % 3]},"
    f"{day * 10.5 + (700 if day % 37 == 17 else 0):.2f},{day % 7}\n"
    for day in range(112)
)
DATASET = f"date,region,amount,units\n{_ROWS}".encode()
"""The table both sides analyse: 112 days of sales in three regions, with outliers."""
DATASET_NAME = "sales.csv"
KICKOFF = "kickoff"
WHOLE = "analysis"
WARMUP = 3


def _analysis(data_dir: Path) -> tuple[Callable[[], Any], Callable[[], Any]]:
    """What to time: the bare kickoff, and the kickoff with the result's data and chart."""
    from backbone.agents import AgentSettings, configure_crewai
    from backbone.assistant.analysis_task import Analysis
    from backbone.assistant.datasets import DatasetLimits, parse_upload

    configure_crewai(data_dir=data_dir)
    limits = DatasetLimits(max_bytes=len(DATASET), max_rows=100_000, max_columns=200)
    table = parse_upload(DATASET, filename=DATASET_NAME, content_type="text/csv", limits=limits)
    # The very objects the worker's handler uses: the same frame, plan, crew and prompt.
    analysis = Analysis.of(DATASET_NAME, table)
    settings = AgentSettings(model="local")

    def kickoff() -> Any:
        return analysis.kickoff(settings)

    def whole() -> Any:
        return analysis.result(kickoff())

    return kickoff, whole


def measure(run: Callable[[], Any], tasks: int, *, warmup: int = WARMUP) -> dict[str, float]:
    """``run`` ``tasks`` times after ``warmup`` runs: tasks done, seconds, errors."""
    for _ in range(warmup):
        run()
    errors = 0
    started = time.perf_counter()
    for _ in range(tasks):
        try:
            run()
        except Exception:  # a failed run is counted, as a failed task is
            errors += 1
    seconds = time.perf_counter() - started
    return {"tasks": tasks - errors, "seconds": seconds, "errors": errors}


def main(argv: Sequence[str] = tuple(sys.argv[1:])) -> int:
    """Time both loops and write their results; the exit code."""
    tasks, out, data_dir = int(argv[0]), Path(argv[1]), Path(argv[2])
    kickoff, whole = _analysis(data_dir)
    results = {KICKOFF: measure(kickoff, tasks), WHOLE: measure(whole, tasks)}
    out.write_text(json.dumps(results))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
