"""The report worker: the Celery app that ``celery -A backbone.reports.worker worker`` loads.

``backbone worker`` starts it with the right flags. The jobs layer's :class:`Worker` is
the one object that configures it (settings, task, signals, this process's engine);
the work itself is :class:`backbone.reports.handler.ReportHandler`'s.
"""

from __future__ import annotations

from celery import Celery

from backbone.jobs import Worker
from backbone.reports.config import ReportsSettings, get_settings
from backbone.reports.kind import REPORTS

__all__ = ["app", "worker"]

worker: Worker[ReportsSettings] = Worker(REPORTS, get_settings())
app: Celery = worker.celery
