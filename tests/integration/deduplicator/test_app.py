"""The deduplicator's Kafka wiring, in memory (TestKafkaBroker) over the real database."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any, cast

from faststream.kafka import KafkaBroker, KafkaMessage

from services.deduplicator.app import create_app
from services.deduplicator.journal import Journal
from services.deduplicator.settings import DeduplicatorSettings
from services.deduplicator.state import DedupState
from shared.broker import installed
from shared.db import Database
from shared.dead_letters import DeadLetterPolicy
from shared.events import ArticleFetched, DeadLetter, StoryUpdated, utc_now
from shared.retry import Backoff
from shared.topics import ARTICLES_RAW, STORIES_UPDATED, dead_letter_topic
from tests.in_memory import in_memory
from tests.infra import MONGO
from tests.unit.deduplicator.articles import ORIGINAL, OTHER_OUTLET, SYNDICATED, UNRELATED


@asynccontextmanager
async def deduplicator(
    published: list[tuple[StoryUpdated, bytes]], dead: list[DeadLetter] | None = None
) -> AsyncIterator[tuple[KafkaBroker, Database]]:
    """The service in memory over a database of its own; what it publishes on
    stories.updated, with each message's key, lands in `published`, and its dead letters
    of articles.raw in `dead`."""
    name = f"pressroom_test_{uuid.uuid4().hex[:12]}"
    app = create_app(
        DeduplicatorSettings(mongo_url=MONGO, mongo_database=name, handler_max_attempts=2)
    )
    broker = cast(KafkaBroker, app.broker)
    installed(broker, DeadLetterPolicy).backoff = Backoff(first_seconds=0.001, max_seconds=0.001)

    @broker.subscriber(STORIES_UPDATED, group_id="test-reader")
    async def read(story: StoryUpdated, message: KafkaMessage) -> None:
        published.append((story, message.raw_message.key))  # type: ignore[union-attr]

    @broker.subscriber(dead_letter_topic(ARTICLES_RAW), group_id="dlq-reader")
    async def read_dlq(letter: DeadLetter) -> None:
        if dead is not None:
            dead.append(letter)

    database = Database(MONGO, name)
    try:
        async with in_memory(app, name) as br:
            yield br, database
    finally:
        await database.close()


async def test_an_article_becomes_a_story_update_keyed_by_story_id_and_a_duplicate_does_not():
    published: list[tuple[StoryUpdated, bytes]] = []
    async with deduplicator(published) as (br, _):
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
    async with deduplicator(published) as (br, _):
        await br.publish(ORIGINAL, ARTICLES_RAW, key=ORIGINAL.article_id.encode())

    [(story, _)] = published
    assert story.timeline is not None
    assert story.timeline.fetched_at == ORIGINAL.fetched_at
    assert before <= story.timeline.placed_at <= utc_now()
    assert story.articles[0].fetched_at == ORIGINAL.fetched_at


async def test_a_batch_of_articles_announces_each_story_version_in_order():
    published: list[tuple[StoryUpdated, bytes]] = []
    async with deduplicator(published) as (br, _):
        await br.publish_batch(ORIGINAL, UNRELATED, SYNDICATED, OTHER_OUTLET, topic=ARTICLES_RAW)

    versions: dict[str, list[int]] = {}
    for story, _ in published:
        versions.setdefault(story.story_id, []).append(story.version)
    assert sorted(versions.values()) == [[1], [1, 2, 3]]


async def test_an_article_it_cannot_decide_is_dead_lettered_and_its_batch_placed(monkeypatch):
    decide = DedupState.decide

    def failing(self: DedupState, article: ArticleFetched, *rest: Any) -> Any:
        if article.article_id == UNRELATED.article_id:
            raise ValueError("cannot decide this one")
        return decide(self, article, *rest)

    monkeypatch.setattr(DedupState, "decide", failing)
    published: list[tuple[StoryUpdated, bytes]] = []
    dead: list[DeadLetter] = []
    async with deduplicator(published, dead) as (br, database):
        await br.publish_batch(ORIGINAL, UNRELATED, SYNDICATED, OTHER_OUTLET, topic=ARTICLES_RAW)
        journal = [entry.article_id async for entry in Journal(database).read_from(0)]

    # The batch failed once as a whole; then each article alone, the state rebuilt from the
    # journal, so no article is placed twice.
    assert [story.version for story, _ in published] == [1, 2, 3]
    story = published[-1][0]
    told = {ORIGINAL.article_id, SYNDICATED.article_id, OTHER_OUTLET.article_id}
    assert {a.article_id for a in story.articles} == told
    assert sorted(journal) == sorted(told)  # what a restart rebuilds
    [letter] = dead
    assert letter.error == "ValueError: cannot decide this one"
    assert ArticleFetched.model_validate_json(letter.original).article_id == UNRELATED.article_id
