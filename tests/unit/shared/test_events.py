"""Event contracts: the committed example payloads validate, and bad ones are refused."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from pydantic import ValidationError

from shared.events import (
    EVENT_FOR_TOPIC,
    ArticleFetched,
    DeadLetter,
    Evidence,
    GroundedText,
    Model,
    PostPublished,
    SourceCredit,
    StoryArticle,
    Timeline,
    article_id_for,
)
from shared.topics import PIPELINE_TOPICS

EXAMPLES = Path(__file__).resolve().parents[2] / "contracts" / "examples"


@pytest.mark.parametrize("topic", PIPELINE_TOPICS)
def test_each_topic_has_an_example_payload_that_its_model_accepts(topic: str):
    payload = (EXAMPLES / f"{topic}.json").read_text()
    event = EVENT_FOR_TOPIC[topic].model_validate_json(payload)
    assert json.loads(event.model_dump_json()) == json.loads(payload)


@pytest.mark.parametrize(
    "model",
    [
        *EVENT_FOR_TOPIC.values(),
        DeadLetter,
        StoryArticle,
        GroundedText,
        Evidence,
        SourceCredit,
        Timeline,
    ],
)
def test_every_event_model_is_frozen_and_documents_its_fields(model: type[Model]):
    assert model.model_config.get("frozen") is True
    assert [name for name, field in model.model_fields.items() if not field.description] == []


def test_an_event_with_an_unknown_schema_version_is_refused():
    payload = json.loads((EXAMPLES / "articles.raw.json").read_text())
    payload["schema_version"] = 2
    with pytest.raises(ValidationError, match="schema_version"):
        ArticleFetched.model_validate(payload)


def test_an_event_with_an_unknown_field_is_refused():
    payload = json.loads((EXAMPLES / "articles.raw.json").read_text())
    payload["titel"] = "typo"
    with pytest.raises(ValidationError, match="titel"):
        ArticleFetched.model_validate(payload)


def test_a_non_http_url_is_refused():
    payload = json.loads((EXAMPLES / "articles.raw.json").read_text())
    payload["canonical_url"] = "javascript:alert(1)"
    with pytest.raises(ValidationError, match="http"):
        ArticleFetched.model_validate(payload)


def test_events_are_immutable():
    event = ArticleFetched.model_validate_json((EXAMPLES / "articles.raw.json").read_text())
    with pytest.raises(ValidationError):
        event.title = "changed"  # type: ignore[misc]


def test_article_id_is_a_stable_hash_of_the_canonical_url():
    first = article_id_for("https://example.com/a")
    assert first == article_id_for("https://example.com/a")
    assert first != article_id_for("https://example.com/b")
    assert len(first) == 32


def test_a_dead_letter_keeps_arbitrary_bytes_through_json():
    original = bytes(range(256))
    letter = DeadLetter(
        topic="articles.raw",
        partition=0,
        offset=7,
        service="x",
        error="e",
        attempts=1,
        original=original,
    )
    assert DeadLetter.model_validate_json(letter.model_dump_json()).original == original


def test_a_withdrawal_is_schema_version_2_and_names_the_story_that_took_its_articles():
    payload = (EXAMPLES / "posts.published.withdrawn.json").read_text()
    withdrawal = PostPublished.model_validate_json(payload)
    assert (withdrawal.schema_version, withdrawal.change) == (2, "withdrawn")
    assert json.loads(withdrawal.model_dump_json()) == json.loads(payload)
    as_version_1 = json.loads(payload) | {"schema_version": 1}
    with pytest.raises(ValidationError, match="schema_version 2"):
        EVENT_FOR_TOPIC["posts.published"].model_validate(as_version_1)
    no_successor = json.loads(payload) | {"merged_into": None}
    with pytest.raises(ValidationError, match="merged_into"):
        EVENT_FOR_TOPIC["posts.published"].model_validate(no_successor)


def test_a_timeline_gives_the_seconds_of_each_hop_it_has_passed():
    fetched = datetime(2026, 12, 1, 9, 0, 0, tzinfo=UTC)
    placed = Timeline(fetched_at=fetched, placed_at=fetched + timedelta(seconds=0.25))
    assert placed.hops() == {"fetched_to_placed": 0.25}

    published = placed.model_copy(
        update={
            "summarized_at": fetched + timedelta(seconds=1),
            "published_at": fetched + timedelta(seconds=1.5),
        }
    )
    assert published.hops() == {
        "fetched_to_placed": 0.25,
        "placed_to_summarized": 0.75,
        "summarized_to_published": 0.5,
        "fetched_to_visible": 1.5,
    }
