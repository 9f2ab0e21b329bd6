"""A summary the publisher could not write goes to stories.summarized.dlq with the reason;
once the cause is fixed, `pressroom dlq replay` sends it back and it reaches the site."""

from __future__ import annotations

import uuid

import httpx2
import pytest

from services.ops.dead_letters import letters, replay
from shared.broker import make_broker
from shared.db import Database
from shared.kafka_connection import KafkaConnection
from shared.settings import ServiceSettings
from shared.topics import STORIES_SUMMARIZED
from tests.factories import make_summary
from tests.infra import KAFKA
from tests.processes import running_service
from tests.waiting import eventually_async


async def letters_about(story_id: str) -> list:
    return [
        item
        async for item in letters(KafkaConnection(KAFKA), STORIES_SUMMARIZED)
        if item.letter.key == story_id
    ]


@pytest.mark.timeout(180)
async def test_a_dead_lettered_summary_replayed_after_the_fix_reaches_the_site(database: Database):
    name = database.db.name
    # The cause: an operator created a unique index on headlines, so a second story with
    # the headline of another cannot be written, however often it is retried.
    await database.collection("posts").create_index("headline", unique=True)
    broker = make_broker(ServiceSettings(kafka_bootstrap_servers=KAFKA), "test-writer")
    first = make_summary(uuid.uuid4().hex, headline="Storm closes Oresund bridge")
    second = make_summary(
        uuid.uuid4().hex, headline="Storm closes Oresund bridge", outlets=("Coast Times",)
    )
    async with (
        running_service("publisher", name, handler_max_attempts="2"),
        running_service("site", name) as site,
        broker,
        httpx2.AsyncClient(base_url=site.url, headers={"user-agent": "Mozilla/5.0"}) as client,
    ):
        await broker.start()
        for summary in (first, second):
            await broker.publish(summary, STORIES_SUMMARIZED, key=summary.story_id.encode())

        async def dead_lettered() -> bool:
            return len(await letters_about(second.story_id)) == 1

        await eventually_async(dead_lettered, within=60, what="the second summary dead-lettered")
        [item] = await letters_about(second.story_id)
        assert item.letter.service == "publisher"
        assert item.letter.attempts == 2
        assert "DuplicateKeyError" in item.letter.error
        assert (
            (await client.get("/api/posts")).json()["posts"][0]["url"].endswith(first.story_id[:6])
        )

        await database.collection("posts").drop_index("headline_1")  # the fix
        report = await replay(
            KafkaConnection(KAFKA), database, STORIES_SUMMARIZED, key=second.story_id
        )
        assert report.replayed == 1

        async def on_the_site() -> bool:
            posts = (await client.get("/api/posts")).json()["posts"]
            return len(posts) == 2

        await eventually_async(on_the_site, within=30, what="the replayed story on the site")
        again = await replay(
            KafkaConnection(KAFKA), database, STORIES_SUMMARIZED, key=second.story_id
        )
        assert (again.replayed, again.already) == (0, 1)  # a letter is replayed once
