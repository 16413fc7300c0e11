"""The worker's Celery task: the options it is registered with."""

from __future__ import annotations

from celery import Celery

from backbone.jobs._worker import TASK_OPTIONS


def test_the_task_has_no_retry_limit_of_its_own() -> None:
    """Each reason to retry a delivery has its own bound (15 busy, 5 missing, 8 database):
    Celery's default of 3 must not cut them short (a busy job was dropped after 3)."""

    def run(self: object) -> None:
        """A task body."""

    app = Celery("test", broker="memory://", set_as_current=False)
    assert app.task(name="tests.retries", **TASK_OPTIONS)(run).max_retries is None
    default = Celery("default", broker="memory://", set_as_current=False)
    assert default.task(name="tests.default", bind=True)(run).max_retries == 3
