"""``backbone.assistant.analysis``: the statistics behind the assistant, as pure functions.

Each tool takes a DataFrame and a pydantic argument model and returns a JSON-ready
dict (NaN, infinities, NA and NaT become ``None``); the agent layer wraps them as
CrewAI tools, the offline engine calls them directly. What they compute never
depends on a prompt.

- :func:`frame_from_rows` builds the frame from parsed rows and column types.
- Tools (also by name in :data:`TOOLS`, run with :func:`run_tool` / :func:`run_plan`):
  :func:`column_stats`, :func:`group_by`, :func:`trend`, :func:`outliers`,
  :func:`correlations`.
- :func:`plan_analysis` chooses tools from a question deterministically.
- :func:`analysis_data`, :func:`compose_report` and :func:`render_chart` turn the
  outputs into ``result.data``, a Markdown report and a PNG.

Why pandas, not polars: the statistics this service reports are pandas' own —
``describe()`` (sample std, ddof=1), linear-interpolation quantiles for the IQR
rule, ``corr()`` over pairwise-complete rows, ``resample()`` by calendar period —
so results match what an analyst gets by re-running them in a notebook; matplotlib
draws pandas' datetime and nullable dtypes directly; and it is the library this
code's readers know. Polars would be faster on large frames, but uploads are capped
at 100,000 rows, where every tool runs in milliseconds.

Exception tree::

    Exception
    └── AnalysisError              the root: a tool cannot run with these arguments
        ├── UnknownColumnError     a column the dataset does not have (.column)
        ├── ColumnTypeError        a column of a type the tool cannot use (.column)
        └── InvalidArgumentsError  an unknown tool, arguments its model refuses, or a
                                   request too big to compute (a trend of 50,000 days)

Example::

    frame = frame_from_rows(dataset.rows, dataset.columns)
    plan = plan_analysis(question, dataset.columns, distinct=distinct_counts(frame))
    results = run_plan(frame, plan)
    data = analysis_data(frame, results)
    report, png = compose_report(results), render_chart(frame, results)
"""

from backbone.assistant.analysis._args import (
    ColumnStatsArgs,
    CorrelationsArgs,
    GroupByArgs,
    OutliersArgs,
    Period,
    TrendArgs,
)
from backbone.assistant.analysis._chart import CHART_SIZE, render_chart
from backbone.assistant.analysis._errors import (
    AnalysisError,
    ColumnTypeError,
    InvalidArgumentsError,
    UnknownColumnError,
)
from backbone.assistant.analysis._findings import ToolResult, analysis_data
from backbone.assistant.analysis._frame import column_type, frame_from_rows
from backbone.assistant.analysis._plan import distinct_counts, plan_analysis
from backbone.assistant.analysis._relations import correlations, group_by
from backbone.assistant.analysis._report import compose_report
from backbone.assistant.analysis._stats import IQR_FACTOR, column_stats, outliers
from backbone.assistant.analysis._tools import TOOLS, Tool, run_plan, run_tool
from backbone.assistant.analysis._trend import MAX_PERIODS, trend

__all__ = [
    "CHART_SIZE",
    "IQR_FACTOR",
    "MAX_PERIODS",
    "TOOLS",
    "AnalysisError",
    "ColumnStatsArgs",
    "ColumnTypeError",
    "CorrelationsArgs",
    "GroupByArgs",
    "InvalidArgumentsError",
    "OutliersArgs",
    "Period",
    "Tool",
    "ToolResult",
    "TrendArgs",
    "UnknownColumnError",
    "analysis_data",
    "column_stats",
    "column_type",
    "compose_report",
    "correlations",
    "distinct_counts",
    "frame_from_rows",
    "group_by",
    "outliers",
    "plan_analysis",
    "render_chart",
    "run_plan",
    "run_tool",
    "trend",
]
