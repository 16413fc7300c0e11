"""The assistant worker: the Celery app that ``backbone worker assistant`` starts.

CrewAI is imported here, in the parent process, before Celery forks its pool: every
worker process starts with it loaded instead of paying its ~2 s import on its first
task. The jobs layer's :class:`Worker` configures the rest; the work is
:class:`backbone.assistant.tasks.handler.TaskHandler`'s.
"""

from __future__ import annotations

from celery import Celery

from backbone.agents import configure_crewai, preload_crewai
from backbone.assistant.config import AssistantSettings, get_settings
from backbone.assistant.kind import ASSISTANT
from backbone.jobs import Worker

__all__ = ["app", "worker"]

settings = get_settings()
configure_crewai(data_dir=settings.data_dir)
preload_crewai()
worker: Worker[AssistantSettings] = Worker(ASSISTANT, settings)
app: Celery = worker.celery
