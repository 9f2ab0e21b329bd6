"""The deduplicator's Kafka wiring, in memory (TestKafkaBroker) over the real database."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import cast

from faststream.kafka import KafkaBroker, KafkaMessage

from services.deduplicator.app import create_app
from services.deduplicator.settings import DeduplicatorSettings
from shared.events import StoryUpdated, utc_now
from shared.topics import ARTICLES_RAW, STORIES_UPDATED
from tests.in_memory import in_memory
from tests.infra import MONGO
from tests.unit.deduplicator.articles import ORIGINAL, OTHER_OUTLET, SYNDICATED, UNRELATED


@asynccontextmanager
async def deduplicator(
    published: list[tuple[StoryUpdated, bytes]],
) -> AsyncIterator[KafkaBroker]:
    """The service in memory over a database of its own; what it publishes on
    stories.updated, with each message's key, lands in `published`."""
    name = f"pressroom_test_{uuid.uuid4().hex[:12]}"
    app = create_app(DeduplicatorSettings(mongo_url=MONGO, mongo_database=name))

    @cast(KafkaBroker, app.broker).subscriber(STORIES_UPDATED, group_id="test-reader")
    async def read(story: StoryUpdated, message: KafkaMessage) -> None:
        published.append((story, message.raw_message.key))  # type: ignore[union-attr]

    async with in_memory(app, name) as broker:
        yield broker


async def test_an_article_becomes_a_story_update_keyed_by_story_id_and_a_duplicate_does_not():
    published: list[tuple[StoryUpdated, bytes]] = []
    async with deduplicator(published) as br:
        await br.publish(ORIGINAL, ARTICLES_RAW, key=ORIGINAL.article_id.encode())
        await br.publish(SYNDICATED, ARTICLES_RAW, key=SYNDICATED.article_id.encode())
        duplicate = ORIGINAL.model_copy(update={"event_id": uuid.uuid4()})
        await br.publish(duplicate, ARTICLES_RAW, key=ORIGINAL.article_id.encode())

    assert [story.version for story, _ in published] == [1, 2]
    story, key = published[-1]
    assert key == story.story_id.encode()
    assert {a.article_id for a in story.articles} == {ORIGINAL.article_id, SYNDICATED.article_id}


async def test_a_story_update_carries_when_its_article_was_fetched_and_placed():
    published: list[tuple[StoryUpdated, bytes]] = []
    before = utc_now()
    async with deduplicator(published) as br:
        await br.publish(ORIGINAL, ARTICLES_RAW, key=ORIGINAL.article_id.encode())

    [(story, _)] = published
    assert story.timeline is not None
    assert story.timeline.fetched_at == ORIGINAL.fetched_at
    assert before <= story.timeline.placed_at <= utc_now()
    assert story.articles[0].fetched_at == ORIGINAL.fetched_at


async def test_a_batch_of_articles_announces_each_story_version_in_order():
    published: list[tuple[StoryUpdated, bytes]] = []
    async with deduplicator(published) as br:
        await br.publish_batch(ORIGINAL, UNRELATED, SYNDICATED, OTHER_OUTLET, topic=ARTICLES_RAW)

    versions: dict[str, list[int]] = {}
    for story, _ in published:
        versions.setdefault(story.story_id, []).append(story.version)
    assert sorted(versions.values()) == [[1], [1, 2, 3]]
