"""The report API's bodies: what a request may carry, what a status and a page show."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import pytest
from pydantic import ValidationError

from backbone.core.pagination import MAX_OFFSET
from backbone.reports.models import ReportJob, ReportState
from backbone.reports.schemas import JobStatus, ReportRequest, page_of_jobs

T0 = datetime(2026, 1, 1, tzinfo=UTC)


def _job(state: ReportState, **fields: object) -> ReportJob:
    return ReportJob(id=uuid.uuid4(), title="Report", created_at=T0, **fields).model_copy(
        update={"state": state.value}
    )


def test_request_defaults() -> None:
    """An empty request asks for the default title."""
    assert ReportRequest().title == "Report"
    assert ReportRequest.model_validate_json(b"{}").title == "Report"


@pytest.mark.parametrize(
    "body",
    [
        b'{"title": ""}',
        b'{"title": "a\\nb"}',
        b'{"title": "del\\u007f"}',
        b'{"title": "\\udc00"}',
        b'{"title": 1}',
        b'{"title": null}',
        b'{"other": 1}',
        b"null",
    ],
)
def test_request_refuses(body: bytes) -> None:
    """Empty titles, control characters, lone surrogates, non-strings, unknown members."""
    with pytest.raises(ValidationError):
        ReportRequest.model_validate_json(body)


def test_request_accepts_unicode_titles() -> None:
    """Any printable Unicode text up to 200 characters is a title."""
    assert ReportRequest(title="Rapport été 😀 " * 10).title.startswith("Rapport")


@pytest.mark.parametrize(
    ("state", "report", "cancel", "final"),
    [
        (ReportState.PENDING, False, True, False),
        (ReportState.IN_PROGRESS, False, True, False),
        (ReportState.COMPLETE, True, False, True),
        (ReportState.FAILED, False, False, True),
        (ReportState.CANCELLED, False, False, True),
    ],
)
def test_status_links_follow_the_state(
    state: ReportState, report: bool, cancel: bool, final: bool
) -> None:
    """The report link appears once complete; the cancel link while cancellable."""
    job = _job(state)
    status = JobStatus.of(job)  # type: ignore[arg-type]
    assert status.status is state
    assert status.final is final
    assert status.links.status == f"/reports/{job.id}/status"
    assert status.links.report == (f"/reports/{job.id}" if report else None)
    assert status.links.cancel == (f"/reports/{job.id}" if cancel else None)


def test_status_reads_a_row_as_stored() -> None:
    """A row read back holds its state as a plain string; the status is still typed."""
    job = _job(ReportState.FAILED, error="boom", attempts=3)
    assert type(job.state) is str
    status = JobStatus.of(job)
    assert (status.status, status.error, status.attempts) == (ReportState.FAILED, "boom", 3)


def test_page_next_keeps_the_filter() -> None:
    """`next` points at the following page with the same status filter, null on the last."""
    jobs = [_job(ReportState.COMPLETE) for _ in range(2)]
    page = page_of_jobs(jobs, total=5, limit=2, offset=0, status=ReportState.COMPLETE)
    assert page.next == "/reports?status=complete&limit=2&offset=2"
    assert page_of_jobs(jobs, total=5, limit=2, offset=2, status=None).next == (
        "/reports?limit=2&offset=4"
    )
    assert page_of_jobs(jobs[:1], total=5, limit=2, offset=4, status=None).next is None


def test_page_never_links_past_the_largest_offset() -> None:
    """A next page whose offset would be refused (422) is not offered."""
    page = page_of_jobs([], total=MAX_OFFSET + 500, limit=100, offset=MAX_OFFSET - 50, status=None)
    assert page.next is None
    page = page_of_jobs([], total=MAX_OFFSET + 500, limit=100, offset=MAX_OFFSET - 100, status=None)
    assert page.next == f"/reports?limit=100&offset={MAX_OFFSET}"
