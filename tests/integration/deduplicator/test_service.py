"""The deduplicator as processes over the real broker and database: two replicas in one
consumer group, exact duplicates, a syndicated copy, and a kill -9 in the middle."""

from __future__ import annotations

import re
import uuid
from collections import defaultdict
from collections.abc import Iterable

import httpx2
import pytest

from shared.broker import make_broker
from shared.db import Database
from shared.events import ArticleFetched
from shared.settings import ServiceSettings
from shared.topics import ARTICLES_RAW
from tests.infra import KAFKA
from tests.integration.deduplicator.events import events
from tests.pipeline import stories_in
from tests.processes import (
    ServiceProcess,
    consumer_group_in_test,
    group_is_stable_with,
    start_service,
)
from tests.unit.deduplicator.articles import ORIGINAL, SYNDICATED
from tests.waiting import eventually_async


async def publish(articles: Iterable[ArticleFetched]) -> None:
    broker = make_broker(ServiceSettings(kafka_bootstrap_servers=KAFKA), "test-writer")
    async with broker:
        await broker.start()
        for article in articles:
            await broker.publish(article, ARTICLES_RAW, key=article.article_id.encode())


async def stories_of(database: Database) -> dict[str, str]:
    """Article id -> the story the deduplicator put it in."""
    return {
        article.article_id: story.story_id
        for story in (await stories_in(database)).values()
        for article in story.articles
    }


async def in_stories(database: Database) -> int:
    return len(await stories_of(database))


def decisions(replica: ServiceProcess) -> dict[str, float]:
    metrics = httpx2.get(f"{replica.url}/metrics", timeout=5).text
    pattern = r'^pressroom_dedup_decisions_total\{decision="(\w+)"\} ([\d.]+)$'
    return {m[1]: float(m[2]) for m in re.finditer(pattern, metrics, re.MULTILINE)}


def assert_one_story_per_event(told: list[list[ArticleFetched]], story_of: dict[str, str]):
    story_of_event = []
    for event in told:
        stories = {story_of[a.article_id] for a in event}
        assert len(stories) == 1, f"one event in {len(stories)} stories: {event[0].title}"
        story_of_event.append(stories.pop())
    assert len(set(story_of_event)) == len(told)  # and no two events share one


@pytest.mark.timeout(150)
async def test_two_replicas_make_one_story_per_event_drop_exact_duplicates_and_mark_a_copy(
    database: Database,
):
    run = uuid.uuid4().hex[:8]
    told = events(8, run)
    refetched = ORIGINAL.model_copy(update={"event_id": uuid.uuid4()})
    same_text_elsewhere = ORIGINAL.model_copy(
        update={
            "event_id": uuid.uuid4(),
            "article_id": uuid.uuid4().hex,
            "canonical_url": "https://mirror.example/senate",
        }
    )
    replicas = [await start_service("deduplicator", database.db.name) for _ in range(2)]
    try:
        group = consumer_group_in_test("deduplicator", database.db.name)
        await eventually_async(
            lambda: group_is_stable_with(group, 2), within=60, what="both replicas assigned"
        )
        # Each round carries one telling of every event, so the tellings of one event
        # land on different partitions, and replicas, at about the same time.
        rounds = [[event[n] for event in told] for n in range(3)]
        # Partitions do not keep order between them: the original goes first on its own,
        # so it is the original that the copy and the duplicates meet.
        await publish([ORIGINAL])

        async def original_in_a_story() -> bool:
            return ORIGINAL.article_id in await stories_of(database)

        await eventually_async(original_in_a_story, within=30, what="the original handled")
        await publish([*rounds[0], *rounds[1], SYNDICATED, refetched, *rounds[2]])
        await publish([same_text_elsewhere])

        async def all_decided() -> bool:
            decided = sum(sum(decisions(r).values()) for r in replicas)
            return decided == 8 * 3 + 4 and await in_stories(database) == 8 * 3 + 2

        await eventually_async(all_decided, within=60, what="every article decided")
        by_replica = [decisions(r) for r in replicas]
    finally:
        for replica in replicas:
            replica.terminate()

    story_of = await stories_of(database)
    assert_one_story_per_event(told, story_of)
    assert story_of[SYNDICATED.article_id] == story_of[ORIGINAL.article_id]
    stories = await stories_in(database)
    copy_of = {a.article_id: a.copy_of for a in stories[story_of[ORIGINAL.article_id]].articles}
    assert copy_of == {ORIGINAL.article_id: None, SYNDICATED.article_id: ORIGINAL.article_id}
    assert len(stories) == 9
    assert all(sum(d.values()) > 0 for d in by_replica), f"one replica did nothing: {by_replica}"
    total: defaultdict[str, float] = defaultdict(float)
    for replica_decisions in by_replica:
        for decision, count in replica_decisions.items():
            total[decision] += count
    # Every article decided once across the two replicas. How many of the 9 stories were
    # "new" and how many articles "joined" depends on which replica handled which telling
    # first (a story can be founded by either and merged later), so only the sum is fixed;
    # the stories themselves are asserted above.
    assert sum(total.values()) == 8 * 3 + 4
    assert total["duplicate"] == 2
    assert total["copy"] == 1
    assert total["redelivered"] == 0


@pytest.mark.timeout(150)
async def test_a_replica_killed_mid_stream_loses_no_article_and_adds_none_twice(
    database: Database,
):
    told = events(8, uuid.uuid4().hex[:8])
    articles = [a for n in range(3) for a in (event[n] for event in told)]
    replica = await start_service("deduplicator", database.db.name)
    await publish(articles[:12])

    async def some_handled() -> bool:
        return await in_stories(database) >= 5

    await eventually_async(some_handled, within=60, what="the first articles handled")
    # The rest arrive as it is killed: a batch takes the deduplicator milliseconds, so
    # the whole stream published at once could be handled before the kill.
    await publish(articles[12:])
    replica.kill()
    handled_before_kill = await in_stories(database)
    replica = await start_service("deduplicator", database.db.name)
    try:

        async def all_in_stories() -> bool:
            return await in_stories(database) == len(articles)

        await eventually_async(all_in_stories, within=60, what="every article in a story")
    finally:
        replica.terminate()

    assert handled_before_kill < len(articles), "the kill came too late to test anything"
    story_of = await stories_of(database)
    assert_one_story_per_event(told, story_of)
    for story in (await stories_in(database)).values():
        ids = [a.article_id for a in story.articles]
        assert len(ids) == len(set(ids)) == story.article_count == 3
        assert story.version >= 3  # a change per article, more if one moved between stories
