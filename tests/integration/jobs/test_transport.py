"""kombu's Redis transport, its synchronous client made once per channel."""

from __future__ import annotations

import pytest
from kombu import Connection

from backbone.jobs._celery import create_celery
from backbone.jobs._transport import Transport
from backbone.reports.config import ReportsSettings

pytestmark = pytest.mark.integration


def _settings(broker: str) -> ReportsSettings:
    return ReportsSettings(_env_file=None, broker_url=broker)  # type: ignore[call-arg]


def test_a_channel_makes_its_synchronous_client_once(redis_url: str) -> None:
    """Every synchronous command reuses one client object; asynchronous ones stay kombu's."""
    with Connection(redis_url, transport=Transport) as connection:
        channel = connection.channel()
        try:
            first = channel._create_client()
            assert channel._create_client() is first
            assert first.ping()
            assert channel._create_client(asynchronous=True) is not first
        finally:
            channel.close()


@pytest.mark.parametrize(
    ("broker", "ours"),
    [
        ("redis://127.0.0.1:1/0", True),
        ("rediss://cache.example:6380/0", False),
        ("amqp://guest@rabbit.example//", False),
    ],
)
def test_only_a_plain_redis_broker_gets_it(broker: str, ours: bool) -> None:
    """rediss:// (TLS) and other brokers keep kombu's own transport."""
    celery = create_celery(_settings(broker), main="test")
    assert (celery.conf.broker_transport is Transport) is ours
