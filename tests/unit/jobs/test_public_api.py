"""The public surface of backbone.jobs: a few names, one exception root."""

from __future__ import annotations

import backbone.jobs as jobs
from backbone.jobs import (
    BrokerUnavailable,
    DatabaseUnavailable,
    JobCancelled,
    JobFailed,
    JobsError,
)
from tests._surface import assert_all_is_the_surface


def test_all_is_sorted_and_is_the_whole_surface() -> None:
    """__all__ names, sorted, every public name of the package."""
    assert_all_is_the_surface(jobs)
    assert {"JobKind", "JobsApi", "Worker", "JobHandler", "submit_job"} <= set(jobs.__all__)


def test_exception_tree_has_one_root() -> None:
    """Every error of the layer derives from JobsError; the docstring draws the tree."""
    for error in (DatabaseUnavailable, BrokerUnavailable, JobCancelled, JobFailed):
        assert issubclass(error, JobsError)
        assert error.__name__ in (jobs.__doc__ or "")


def test_job_failed_carries_its_reason_and_result() -> None:
    """A handler's JobFailed holds the one-line reason and the partial result to keep."""
    failed = JobFailed("step 2 failed", result={"done": ["a1"]})
    assert (str(failed), failed.reason, failed.result) == (
        "step 2 failed",
        "step 2 failed",
        {"done": ["a1"]},
    )
    assert JobFailed("plain").result is None
