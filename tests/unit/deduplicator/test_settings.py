"""The deduplicator's settings: what the clusterer is told, and what stops start-up."""

from __future__ import annotations

import pytest

from services.deduplicator.settings import DeduplicatorSettings
from shared.settings import SettingsError, load_settings


def test_an_embeddings_url_that_is_not_http_stops_start_up_naming_it(
    monkeypatch: pytest.MonkeyPatch,
):
    monkeypatch.setenv("PRESSROOM_EMBEDDINGS_URL", "127.0.0.1:8100/v1")
    with pytest.raises(SettingsError) as stopped:
        load_settings(DeduplicatorSettings)
    assert "PRESSROOM_EMBEDDINGS_URL" in str(stopped.value.code)


def test_without_an_embeddings_url_the_clusterer_works_on_tf_idf_alone():
    settings = DeduplicatorSettings(story_threshold=0.1, embedding_weight=0.7)
    assert settings.embeddings_client() is None
    assert (settings.clustering().threshold, settings.clustering().embedding_weight) == (0.1, 0.7)
