"""The recommendation model's Redis keys carry a configurable prefix (stacks sharing a Redis)."""

from __future__ import annotations

import pytest

from backbone.assistant.config import AssistantSettings
from backbone.assistant.recommendations.service import RecommendationsApi
from backbone.assistant.recommendations.store import PREFIX


def test_the_model_keys_carry_the_configured_prefix() -> None:
    """BACKBONE_ASSISTANT_RECOMMENDATIONS_KEY_PREFIX names every key, the lock too, for the
    route's store and the refresher's; the default is the store's own."""
    assert AssistantSettings().recommendations_key_prefix == PREFIX
    settings = AssistantSettings(
        redis_url="redis://127.0.0.1:1/0", recommendations_key_prefix="bench-abc:recs:"
    )
    api = RecommendationsApi(settings)
    for store in (api.store, api.refresher.store):
        assert all(key.startswith("bench-abc:recs:") for key in store.keys.values())
        assert store.lock_name == "bench-abc:recs:lock"


@pytest.mark.parametrize("bad", ["", "has space:", "x" * 101])
def test_a_bad_prefix_is_refused(bad: str) -> None:
    """Empty, blank-containing or over-long prefixes are refused at start-up."""
    with pytest.raises(ValueError, match="recommendations_key_prefix"):
        AssistantSettings(recommendations_key_prefix=bad)
