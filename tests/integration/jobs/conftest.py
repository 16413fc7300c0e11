"""Fixtures of the second job kind's tests: its own tables (beside the reports'), its API
in-process, and its worker as a real Celery process."""

from __future__ import annotations

import os
import sys
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import httpx
import pytest

from backbone.cli._worker import worker_argv
from backbone.core.db import migrate
from backbone.reports.migrations import VERSIONS as REPORT_VERSIONS
from tests.integration.jobs._api import create_plans_app
from tests.integration.jobs._plans import VERSIONS as PLAN_VERSIONS
from tests.integration.jobs._plans import PlanSettings
from tests.integration.reports._harness import WorkerProcess
from tests.integration.reports.conftest import serving

ROOT = Path(__file__).resolve().parents[3]
QUEUE = "plans-test"
# Short limits, in the order the layer requires (soft < hard < visibility).
LIMITS = {"soft_time_limit": 8.0, "time_limit": 10.0, "visibility_timeout": 12.0}


@pytest.fixture
def plans_database(database_url: str) -> str:
    """The test's database with both kinds' tables: two branches on core's baseline."""
    migrate(database_url, locations=[REPORT_VERSIONS, PLAN_VERSIONS])
    return database_url


@pytest.fixture
def plan_settings(plans_database: str, redis_url: str, tmp_path: Path) -> PlanSettings:
    """Settings for this test's stores, artifacts under tmp_path."""
    return PlanSettings(
        database_url=plans_database,
        redis_url=redis_url,
        queue=QUEUE,
        artifacts_dir=tmp_path / "artifacts",
        **LIMITS,
    )


@pytest.fixture
async def plans_api(plan_settings: PlanSettings) -> AsyncIterator[httpx.AsyncClient]:
    """A client of the plan kind's API, in-process."""
    async with serving(create_plans_app(plan_settings)) as client:
        yield client


def _worker_env(settings: PlanSettings, step_pause: float) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("BACKBONE_PLANS_", "LOG_"))}
    assert settings.database_url is not None
    env.update(
        DATABASE_URL=settings.database_url.get_secret_value(),
        REDIS_URL=str(settings.redis_url),
        BACKBONE_PLANS_QUEUE=settings.queue,
        BACKBONE_PLANS_ARTIFACTS_DIR=str(settings.artifacts_dir),
        BACKBONE_PLANS_STEP_PAUSE=str(step_pause),
        LOG_LEVEL="INFO",
        PYTHONUNBUFFERED="1",
        # The worker imports the kind from the tests package.
        PYTHONPATH=os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])),
    )
    env.update({f"BACKBONE_PLANS_{name.upper()}": str(value) for name, value in LIMITS.items()})
    return env


@pytest.fixture
def start_plans_worker(
    plan_settings: PlanSettings, tmp_path: Path
) -> Iterator[type[WorkerProcess] | object]:
    """Start the plan kind's Celery worker (``step_pause`` between acting steps); stopped after."""
    started: list[WorkerProcess] = []

    def start(step_pause: float = 0.0) -> WorkerProcess:
        flags = worker_argv(
            settings=plan_settings, concurrency=2, hostname=f"plans-{uuid.uuid4().hex[:8]}@%h"
        )
        argv = [sys.executable, "-m", "celery", "-A", "tests.integration.jobs._worker:app", *flags]
        worker = WorkerProcess(
            env=_worker_env(plan_settings, step_pause),
            cwd=tmp_path,
            log=tmp_path / f"plans-worker-{len(started)}.log",
            argv=argv,
            kind="plans",
        )
        started.append(worker)
        worker.wait_ready()
        return worker

    yield start
    for worker in started:
        worker.terminate()
    for worker in started:
        worker.reap(timeout=30)
