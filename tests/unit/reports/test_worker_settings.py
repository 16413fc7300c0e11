"""The worker's settings: the retries of a message whose row is not committed yet."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from backbone.reports.config import ReportsSettings


def test_missing_row_retries_default_and_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """Five retries a second apart by default; both come from BACKBONE_REPORTS_* variables."""
    defaults = ReportsSettings(_env_file=None)  # type: ignore[call-arg]
    assert (defaults.missing_row_retries, defaults.missing_row_delay) == (5, 1.0)
    monkeypatch.setenv("BACKBONE_REPORTS_MISSING_ROW_RETRIES", "2")
    monkeypatch.setenv("BACKBONE_REPORTS_MISSING_ROW_DELAY", "0.25")
    settings = ReportsSettings(_env_file=None)  # type: ignore[call-arg]
    assert (settings.missing_row_retries, settings.missing_row_delay) == (2, 0.25)


def test_missing_row_delay_must_be_below_the_visibility_timeout() -> None:
    """A retry countdown as long as the visibility timeout would get the message redelivered."""
    with pytest.raises(ValidationError, match="missing_row_delay < visibility_timeout"):
        ReportsSettings(
            _env_file=None,  # type: ignore[call-arg]
            job_seconds=1,
            soft_time_limit=2,
            time_limit=3,
            visibility_timeout=4,
            missing_row_delay=5,
        )
