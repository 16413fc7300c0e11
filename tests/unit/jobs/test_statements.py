"""The layer's SQL, written out once per table: the states it names are the states there are."""

from __future__ import annotations

import re

import pytest

from backbone.jobs import JobState
from backbone.jobs._database import JobSql
from backbone.jobs._store import _filtered, _insert, _Statements

STATES = {state.value for state in JobState}
QUOTED = re.compile(r"'([a-z-]+)'")


def _sql(statement: str | bytes) -> str:
    return statement.decode() if isinstance(statement, bytes) else statement


def test_every_state_a_statement_names_is_a_job_state() -> None:
    """A state written into a statement ('in-progress', ...) is one of JobState's values."""
    runner = JobSql("some_jobs", "some_steps")
    store = _Statements("some_jobs", "some_steps")
    statements = [
        runner.claim, runner.progress, runner.park, runner.fail,
        runner.complete(["report_time"]),
        store.cancel, store.approve, store.reject, store.approving(("approved_items",)),
        runner.recorded_steps or b"", _insert('"some_jobs"', ("title",)),
    ]  # fmt: skip
    named = {state for statement in statements for state in QUOTED.findall(_sql(statement))}
    assert named
    assert named <= STATES, named - STATES


def test_names_are_quoted_and_values_are_parameters() -> None:
    """Table and column names are quoted identifiers; payload values are never inlined."""
    runner = JobSql('odd"name', None)
    assert '"odd""name"' in _sql(runner.claim)
    assert runner.add_step is None
    complete = _sql(runner.complete(["report_time"]))
    assert '"report_time" = %(_report_time)s' in complete
    insert = _insert('"jobs"', ("goal", "title"))
    assert '"goal", "title"' in insert
    assert "$4, $5" in insert


def test_note_sets_named_columns_of_a_running_job_only() -> None:
    """``note`` sets quoted columns from parameters, only while the job is in progress."""
    runner = JobSql("some_jobs", None)
    note = _sql(runner.note(["engine", "total_steps"]))
    assert '"engine" = %(_engine)s, "total_steps" = %(_total_steps)s' in note
    assert "state = 'in-progress'" in note
    assert note.endswith("RETURNING id")


def test_note_needs_a_column() -> None:
    """Noting nothing is a programming error, said at once."""
    with pytest.raises(ValueError, match="at least one column"):
        JobSql("some_jobs", None).note([])


def test_page_filters_on_the_kinds_columns_are_parameters() -> None:
    """Extra equality filters on a page are quoted names bound to the next parameters."""
    store = _Statements("some_jobs", None)
    select, count = _filtered(store.page, store.count, ("type",))
    assert select.endswith('AND "type" = $6 ORDER BY created_at DESC, id DESC LIMIT $4 OFFSET $5')
    assert count.endswith('AND "type" = $4')
    assert _filtered(store.page, store.count, ()) == (store.page, store.count)


def test_a_step_is_recorded_only_while_its_job_runs() -> None:
    """The step INSERT names the job table's in-progress state: a cancelled job gets no step."""
    runner = JobSql("some_jobs", "some_steps")
    assert runner.add_step is not None
    step = _sql(runner.add_step)
    assert "FROM \"some_jobs\" WHERE id = %(id)s AND state = 'in-progress'" in step


def test_approving_sets_named_columns_in_the_same_update() -> None:
    """An approval may set columns of the kind's own: quoted names, values as parameters,
    in the one conditional UPDATE that moves the job back to pending."""
    store = _Statements("some_jobs", None)
    assert store.approving(()) == store.approve
    statement = store.approving(("approved_items", "note"))
    assert '"approved_items" = $5, "note" = $6 WHERE id = $1' in statement
    assert "state = 'awaiting-approval'" in statement


def test_a_rejection_cancels_only_a_plan_awaiting_approval() -> None:
    """Reject is one conditional UPDATE: cancelled with the reason, from awaiting-approval only."""
    reject = _Statements("some_jobs", None).reject
    assert "SET state = 'cancelled', error = $4" in reject
    assert reject.endswith("AND state = 'awaiting-approval' RETURNING *")


def test_recorded_steps_read_every_attempt_in_order() -> None:
    """The steps a handler reads back are the job's, all attempts, in order; none without a
    step table."""
    runner = JobSql("some_jobs", "some_steps")
    assert runner.recorded_steps is not None
    steps = _sql(runner.recorded_steps)
    assert 'FROM "some_steps" WHERE job_id = %(id)s ORDER BY seq' in steps
    assert JobSql("some_jobs", None).recorded_steps is None


def test_a_failure_keeps_the_result_unless_given_one() -> None:
    """The fail statement sets the result only when the handler gave one (coalesce)."""
    assert "result = coalesce(%(result)s::jsonb, result)" in _sql(JobSql("some_jobs").fail)
