"""The broker probes against a real Redis: readiness and queue depth."""

from __future__ import annotations

import uuid

import pytest
from celery import Celery

from backbone.jobs._broker import BrokerProbe, KombuProbe, RedisProbe
from backbone.jobs._celery import create_celery, enqueue
from backbone.reports.kind import TASK_NAME
from tests.integration.reports.conftest import QUEUE, closed_redis_url, reports_settings

pytestmark = pytest.mark.integration


KINDS = ["redis", "kombu"]


def _probe(kind: str, url: str, celery: Celery) -> BrokerProbe:
    return RedisProbe(url) if kind == "redis" else KombuProbe(celery)


@pytest.mark.parametrize("kind", KINDS)
async def test_depth_counts_waiting_messages(redis_url: str, kind: str) -> None:
    """An empty (never used) queue is 0 deep; each published job adds one."""
    celery = create_celery(reports_settings(redis_url=redis_url), main="test")
    probe = _probe(kind, redis_url, celery)
    try:
        await probe.ping()
        assert await probe.depth(QUEUE) == 0
        for _ in range(2):
            enqueue(celery, TASK_NAME, uuid.uuid4(), queue=QUEUE)
        assert await probe.depth(QUEUE) == 2
        assert await probe.depth("another-queue") == 0
    finally:
        await probe.aclose()
        celery.close()


@pytest.mark.parametrize("kind", KINDS)
async def test_unreachable_broker_fails_the_ping(kind: str) -> None:
    """A broker nothing listens at fails the readiness ping."""
    url = closed_redis_url()
    celery = create_celery(reports_settings(redis_url=url), main="test")
    probe = _probe(kind, url, celery)
    try:
        with pytest.raises(Exception, match=r"(?i)connect"):
            await probe.ping()
    finally:
        await probe.aclose()
        celery.close()
