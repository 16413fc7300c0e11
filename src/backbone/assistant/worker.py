"""The assistant worker: the Celery app that ``backbone worker assistant`` starts.

CrewAI and the task handler (pandas, matplotlib, the analysis tools) are imported here,
in the parent process, before Celery forks its pool: every worker process starts with
them loaded instead of paying their imports (~2 s and ~1.5 s) on its first task. The
jobs layer's :class:`Worker` configures the rest; the work is
:class:`backbone.assistant.tasks.handler.TaskHandler`'s.
"""

from __future__ import annotations

import importlib

from celery import Celery

from backbone.agents import configure_crewai, preload_crewai
from backbone.assistant.config import AssistantSettings, get_settings
from backbone.assistant.kind import ASSISTANT
from backbone.jobs import Worker

__all__ = ["app", "worker"]

settings = get_settings()
configure_crewai(data_dir=settings.data_dir)
preload_crewai()
importlib.import_module("backbone.assistant.tasks.handler")
worker: Worker[AssistantSettings] = Worker(ASSISTANT, settings)
app: Celery = worker.celery
