"""The asyncio publisher puts in Redis the message Celery's own send_task would."""

from __future__ import annotations

import base64
import json
import uuid
from typing import Any

import pytest
from celery import Celery
from redis.asyncio import Redis

from backbone.jobs import BrokerUnavailable
from backbone.jobs._celery import create_celery, enqueue
from backbone.jobs._publish import RedisPublisher
from backbone.reports.config import ReportsSettings
from tests.integration.reports.conftest import closed_redis_url

pytestmark = pytest.mark.integration

TASK = "backbone.reports.generate_report"


def _celery(redis_url: str) -> Celery:
    settings = ReportsSettings(_env_file=None, redis_url=redis_url)  # type: ignore[call-arg]
    return create_celery(settings, main="backbone.reports")


async def _pop(redis_url: str, queue: str) -> dict[str, Any]:
    client = Redis.from_url(redis_url)
    try:
        raw = await client.rpop(queue)
    finally:
        await client.aclose()
    assert raw is not None, f"nothing in {queue}"
    message: dict[str, Any] = json.loads(raw)
    return message


def _comparable(message: dict[str, Any]) -> dict[str, Any]:
    """The message without what differs on every publish (tag, node, reply queue)."""
    headers = {k: v for k, v in message["headers"].items() if k != "origin"}
    properties = {
        k: v for k, v in message["properties"].items() if k not in ("delivery_tag", "reply_to")
    }
    return {**message, "body": base64.b64decode(message["body"]), "headers": headers,
            "properties": properties}  # fmt: skip


async def test_the_message_is_the_one_send_task_sends(redis_url: str) -> None:
    """Same headers, properties, body and encoding, in the queue's list; tags are new."""
    celery = _celery(redis_url)
    publisher = RedisPublisher(celery, redis_url, queue="theirs-and-ours")
    job_id = uuid.uuid4()
    try:
        enqueue(celery, TASK, job_id, queue="theirs-and-ours")
        theirs = await _pop(redis_url, "theirs-and-ours")
        await publisher.publish(TASK, job_id)
        ours = await _pop(redis_url, "theirs-and-ours")
    finally:
        await publisher.aclose()
        celery.close()
    assert _comparable(ours) == _comparable(theirs)
    assert ours["headers"]["id"] == str(job_id)
    assert ours["properties"]["delivery_tag"] != theirs["properties"]["delivery_tag"]
    uuid.UUID(ours["properties"]["delivery_tag"])


async def test_a_broker_that_does_not_answer_is_broker_unavailable() -> None:
    """Nothing listens at the broker's address: BrokerUnavailable, with the cause chained."""
    celery = Celery("down", broker="memory://", set_as_current=False)
    publisher = RedisPublisher(celery, closed_redis_url(), queue="nowhere")
    try:
        with pytest.raises(BrokerUnavailable, match="could not enqueue") as caught:
            await publisher.publish(TASK, uuid.uuid4())
        assert caught.value.__cause__ is not None
    finally:
        await publisher.aclose()
