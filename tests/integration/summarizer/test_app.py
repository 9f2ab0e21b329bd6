"""The summarizer's wiring: Kafka in memory (TestKafkaBroker), the queue in the real database."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import timedelta
from typing import cast

from faststream.kafka import KafkaBroker, KafkaMessage

from services.summarizer.app import create_app
from services.summarizer.settings import SummarizerSettings
from shared.events import DeadLetter, StorySummarized, StoryUpdated, Timeline, utc_now
from shared.metrics import registry
from shared.topics import STORIES_SUMMARIZED, STORIES_UPDATED, dead_letter_topic
from tests.factories import make_article, make_story
from tests.in_memory import in_memory
from tests.infra import MONGO
from tests.unit.summarizer.stories import COAST, HARBOUR, NORDIC
from tests.waiting import eventually


@asynccontextmanager
async def summarizer_app(
    summaries: list[tuple[StorySummarized, bytes]], dead: list[DeadLetter]
) -> AsyncIterator[KafkaBroker]:
    name = f"pressroom_test_{uuid.uuid4().hex[:12]}"
    app = create_app(SummarizerSettings(mongo_url=MONGO, mongo_database=name, coalesce_seconds=0.5))
    broker = cast(KafkaBroker, app.broker)

    @broker.subscriber(STORIES_SUMMARIZED, group_id="test-reader")
    async def read(summary: StorySummarized, message: KafkaMessage) -> None:
        summaries.append((summary, message.raw_message.key))  # type: ignore[union-attr]

    @broker.subscriber(dead_letter_topic(STORIES_UPDATED), group_id="test-reader")
    async def read_dead(letter: DeadLetter) -> None:
        dead.append(letter)

    async with in_memory(app, name, background=True) as br:
        yield br


async def test_a_new_story_is_summarised_at_once_and_a_burst_of_updates_once_at_the_newest():
    summaries: list[tuple[StorySummarized, bytes]] = []
    async with summarizer_app(summaries, []) as broker:
        first = make_story(HARBOUR, version=1)
        await broker.publish(first, STORIES_UPDATED, key=first.story_id.encode())
        await eventually(lambda: len(summaries) >= 1, within=60, what="the first summary")
        burst = [
            make_story(HARBOUR, NORDIC, version=2),
            make_story(HARBOUR, NORDIC, COAST, version=3),
        ]
        for story in burst:
            await broker.publish(story, STORIES_UPDATED, key=story.story_id.encode())
        await eventually(lambda: len(summaries) >= 2, within=60, what="the burst's summary")
        # An older version arriving late is refused, not summarised over the newer one.
        for late in (first, burst[0]):
            await broker.publish(late, STORIES_UPDATED, key=late.story_id.encode())
        last = make_story(HARBOUR, NORDIC, COAST, version=4)
        await broker.publish(last, STORIES_UPDATED, key=last.story_id.encode())
        await eventually(lambda: len(summaries) >= 3, within=60, what="the last summary")

    assert [summary.version for summary, _ in summaries] == [1, 3, 4]
    summary, key = summaries[1]
    assert key == summary.story_id.encode()
    assert {s.source_name for s in summary.sources} == {
        "Harbour News",
        "Nordic Daily",
        "Coast Times",
    }
    assert len(summary.key_points) == 5


async def test_a_summary_carries_its_story_timeline_with_when_it_was_summarised():
    summaries: list[tuple[StorySummarized, bytes]] = []
    fetched = utc_now()
    timeline = Timeline(fetched_at=fetched, placed_at=fetched + timedelta(milliseconds=5))
    story = make_story(HARBOUR, NORDIC).model_copy(update={"timeline": timeline})
    async with summarizer_app(summaries, []) as broker:
        await broker.publish(story, STORIES_UPDATED, key=story.story_id.encode())
        await eventually(lambda: len(summaries) >= 1, within=60, what="a summary published")

    [(summary, _)] = summaries
    assert summary.timeline is not None
    assert summary.timeline.fetched_at == fetched
    assert summary.timeline.placed_at == timeline.placed_at
    assert summary.timeline.summarized_at is not None
    assert summary.timeline.summarized_at >= timeline.placed_at
    assert [s.fetched_at for s in summary.sources] == [HARBOUR.fetched_at, NORDIC.fetched_at]


async def test_a_malformed_story_event_goes_to_the_dead_letter_topic():
    dead: list[DeadLetter] = []
    async with summarizer_app([], dead) as broker:
        await broker.publish(b'{"story_id": "nope"}', STORIES_UPDATED, key=b"nope")
        await eventually(lambda: len(dead) == 1, within=60, what="the dead letter")
    assert dead[0].service == "summarizer"
    assert dead[0].original == b'{"story_id": "nope"}'
    assert "invalid event" in dead[0].error


def dead_letters_counted() -> float:
    labels = {"service": "summarizer", "topic": STORIES_UPDATED, "reason": "empty summary"}
    return registry.get_sample_value("pressroom_dead_letters_total", labels) or 0.0


async def test_a_story_with_nothing_publishable_goes_to_the_dead_letter_topic_and_is_counted():
    dead: list[DeadLetter] = []
    empty = make_story(
        make_article("https://example.com/empty", title="Photo", text="Advertisement")
    )
    counted_before = dead_letters_counted()
    async with summarizer_app([], dead) as broker:
        await broker.publish(empty, STORIES_UPDATED, key=empty.story_id.encode())
        await eventually(lambda: len(dead) == 1, within=60, what="the dead letter")
    assert "no sentence that passes the gate" in dead[0].error
    assert StoryUpdated.model_validate_json(dead[0].original) == empty
    # The dead-letter alert watches this count: a summary given up on moves it too.
    assert dead_letters_counted() == counted_before + 1
