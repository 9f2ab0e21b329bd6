"""The publisher's wiring: Kafka in memory (TestKafkaBroker), posts in the real database."""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import cast

from faststream.kafka import KafkaBroker, KafkaMessage

from services.publisher.app import create_app
from services.publisher.settings import PublisherSettings
from shared.db import Database
from shared.events import PostPublished, Timeline, utc_now
from shared.metrics import registry
from shared.topics import POSTS_PUBLISHED, STORIES_SUMMARIZED, STORIES_UPDATED
from tests.factories import make_article, make_story, make_summary, make_withdrawal
from tests.in_memory import in_memory
from tests.infra import MONGO


async def test_each_new_version_is_announced_a_stale_one_is_not():
    name = f"pressroom_test_{uuid.uuid4().hex[:12]}"
    app = create_app(PublisherSettings(mongo_url=MONGO, mongo_database=name))
    broker = cast(KafkaBroker, app.broker)
    announced: list[tuple[PostPublished, bytes]] = []

    @broker.subscriber(POSTS_PUBLISHED, group_id="test-reader")
    async def read(post: PostPublished, message: KafkaMessage) -> None:
        announced.append((post, message.raw_message.key))  # type: ignore[union-attr]

    async with in_memory(app, name) as br:
        for version in (1, 3, 2, 3):
            summary = make_summary(version=version)
            await br.publish(summary, STORIES_SUMMARIZED, key=summary.story_id.encode())

    # v2 after v3 is stale; v3 again is a redelivery, announced again in case the first was lost.
    assert [(p.version, p.change) for p, _ in announced] == [
        (1, "created"),
        (3, "updated"),
        (3, "updated"),
    ]
    post, key = announced[0]
    assert key == post.story_id.encode()
    assert post.slug == "storm-closes-oresund-bridge-for-14-hours-555555"


async def test_a_withdrawn_story_takes_its_post_off_the_site_and_is_announced():
    name = f"pressroom_test_{uuid.uuid4().hex[:12]}"
    app = create_app(PublisherSettings(mongo_url=MONGO, mongo_database=name))
    database = Database(MONGO, name)
    posts = database.collection("posts")
    broker = cast(KafkaBroker, app.broker)
    announced: list[PostPublished] = []

    @broker.subscriber(POSTS_PUBLISHED, group_id="test-reader")
    async def read(post: PostPublished) -> None:
        announced.append(post)

    async with in_memory(app, name) as br:
        summary = make_summary(version=1)
        await br.publish(summary, STORIES_SUMMARIZED, key=summary.story_id.encode())
        live = make_story(make_article("https://harbour-news.example/s"), version=2)
        await br.publish(live, STORIES_UPDATED, key=live.story_id.encode())
        assert await posts.find_one({"_id": summary.story_id}) is not None
        withdrawal = make_withdrawal(version=3, merged_into="6" * 32)
        await br.publish(withdrawal, STORIES_UPDATED, key=withdrawal.story_id.encode())
        assert await posts.find_one({"_id": summary.story_id}) is None
        await br.publish(withdrawal, STORIES_UPDATED, key=withdrawal.story_id.encode())
    await database.close()

    # Created, then withdrawn; the redelivered withdrawal is announced again, the live
    # story's update is not the publisher's to announce.
    assert [(p.change, p.schema_version, p.merged_into) for p in announced] == [
        ("created", 1, None),
        ("withdrawn", 2, "6" * 32),
        ("withdrawn", 2, "6" * 32),
    ]
    assert announced[1].slug == announced[0].slug
    assert announced[1].version == 3


async def test_an_announced_version_carries_its_timeline_and_the_freshness_is_measured():
    name = f"pressroom_test_{uuid.uuid4().hex[:12]}"
    app = create_app(PublisherSettings(mongo_url=MONGO, mongo_database=name))
    broker = cast(KafkaBroker, app.broker)
    announced: list[PostPublished] = []

    @broker.subscriber(POSTS_PUBLISHED, group_id="test-reader")
    async def read(post: PostPublished) -> None:
        announced.append(post)

    fetched = utc_now() - timedelta(seconds=3)
    timeline = Timeline(
        fetched_at=fetched,
        placed_at=fetched + timedelta(seconds=1),
        summarized_at=fetched + timedelta(seconds=2),
    )
    seen_before = _visible_count()
    async with in_memory(app, name) as br:
        summary = make_summary(timeline=timeline)
        await br.publish(summary, STORIES_SUMMARIZED, key=summary.story_id.encode())

    [post] = announced
    assert post.timeline is not None
    assert post.timeline.published_at == post.updated_at
    assert post.timeline.hops()["fetched_to_visible"] >= 3
    assert _visible_count() == seen_before + 1


def _visible_count() -> float:
    return (
        registry.get_sample_value(
            "pressroom_freshness_seconds_count", {"hop": "fetched_to_visible"}
        )
        or 0.0
    )
