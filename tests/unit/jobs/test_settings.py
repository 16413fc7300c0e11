"""A job queue's settings: named under the kind's prefix, limits that fit together."""

from __future__ import annotations

import pytest
from pydantic import ValidationError
from pydantic_settings import SettingsConfigDict

from backbone.jobs import JobQueueSettings


class KindSettings(JobQueueSettings):
    """A kind's settings, as a service declares them."""

    model_config = SettingsConfigDict(env_prefix="BACKBONE_KIND_", env_file=None)


def test_queue_settings_take_the_kinds_prefix_and_core_settings_keep_their_names(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """BACKBONE_KIND_QUEUE is the kind's queue; REDIS_URL stays REDIS_URL, not prefixed."""
    monkeypatch.setenv("BACKBONE_KIND_QUEUE", "kind-jobs")
    monkeypatch.setenv("BACKBONE_KIND_MAX_ATTEMPTS", "7")
    monkeypatch.setenv("REDIS_URL", "redis://cache.example:6379/2")
    monkeypatch.setenv("QUEUE", "not-this-one")
    monkeypatch.setenv("BACKBONE_KIND_REDIS_URL", "redis://not.this.one/0")
    settings = KindSettings()
    assert (settings.queue, settings.max_attempts) == ("kind-jobs", 7)
    assert settings.redis_url == "redis://cache.example:6379/2"
    assert settings.broker == "redis://cache.example:6379/2"


def test_a_broker_url_of_its_own_wins_over_redis(monkeypatch: pytest.MonkeyPatch) -> None:
    """BACKBONE_KIND_BROKER_URL (RabbitMQ, say) is the broker; REDIS_URL stays for Redis."""
    monkeypatch.setenv("REDIS_URL", "redis://cache.example:6379/2")
    monkeypatch.setenv("BACKBONE_KIND_BROKER_URL", "amqp://guest@rabbit.example//")
    assert KindSettings().broker == "amqp://guest@rabbit.example//"


@pytest.mark.parametrize(
    ("soft", "hard", "visibility"),
    [(90, 60, 120), (60, 60, 120), (60, 90, 90), (60, 130, 120), (200, 90, 120)],
)
def test_limits_must_rise_soft_hard_visibility(soft: float, hard: float, visibility: float) -> None:
    """A job still running when Redis redelivers it would run twice: the limits must rise."""
    with pytest.raises(ValidationError, match="soft_time_limit < time_limit < visibility_timeout"):
        KindSettings(soft_time_limit=soft, time_limit=hard, visibility_timeout=visibility)


def test_limits_in_order_are_accepted() -> None:
    """The defaults (60 < 90 < 120) and any other rising triple pass."""
    assert KindSettings().visibility_timeout == 120
    assert KindSettings(soft_time_limit=1, time_limit=2, visibility_timeout=3).time_limit == 2


def test_a_retry_delay_as_long_as_the_visibility_timeout_is_refused() -> None:
    """A message waiting out its countdown unacknowledged must not be redelivered meanwhile."""
    with pytest.raises(ValidationError, match="missing_row_delay < visibility_timeout"):
        KindSettings(soft_time_limit=1, time_limit=2, visibility_timeout=3, missing_row_delay=3)
