"""Poison messages on every pipeline topic, to the running services: each goes to its
topic's .dlq with the reason and its original bytes, and the consumer keeps going."""

from __future__ import annotations

import hashlib
import json
import uuid
from contextlib import AsyncExitStack

import pytest

from services.ops.dead_letters import letters
from shared.broker import make_broker
from shared.db import Database
from shared.events import DEAD_LETTER_ORIGINAL_BYTES, DeadLetter
from shared.kafka_connection import KafkaConnection
from shared.settings import ServiceSettings
from shared.topics import ARTICLES_RAW, STORIES_SUMMARIZED, STORIES_UPDATED
from tests.factories import make_article, make_story, make_summary
from tests.infra import KAFKA
from tests.pipeline import stories_in
from tests.processes import running_service
from tests.unit.summarizer.stories import COAST, HARBOUR, NORDIC
from tests.waiting import eventually_async

MAX_EVENT_BYTES = 40_000


def poison(valid: bytes) -> dict[str, bytes]:
    wrong_version = json.loads(valid)
    wrong_version["schema_version"] = 2
    return {
        "not JSON": b"\xff{not json",
        "wrong schema_version": json.dumps(wrong_version).encode(),
        "oversize": b'{"padding": "' + b"x" * (MAX_EVENT_BYTES + 100) + b'"}',
    }


@pytest.mark.timeout(180)
async def test_poison_goes_to_the_dead_letter_topics_and_the_consumers_keep_going(
    database: Database,
):
    run = uuid.uuid4().hex[:8]
    story_id = uuid.uuid4().hex
    valid = {
        ARTICLES_RAW: make_article(f"https://poison.example/{run}", title="Valid after poison"),
        STORIES_UPDATED: make_story(HARBOUR, NORDIC, COAST, story_id=story_id),
        STORIES_SUMMARIZED: make_summary(uuid.uuid4().hex, headline=f"Valid summary {run}"),
    }
    broker = make_broker(ServiceSettings(kafka_bootstrap_servers=KAFKA), "test-writer")
    settings = {
        "max_event_bytes": str(MAX_EVENT_BYTES),
        # Stories the deduplicator can always publish under that limit (it refuses to start
        # otherwise): 3 articles of 1,000 characters.
        "max_story_articles": "3",
        "max_article_chars": "1000",
        "coalesce_seconds": "0.2",
    }
    async with AsyncExitStack() as running:
        for name in ("deduplicator", "summarizer", "publisher"):
            await running.enter_async_context(running_service(name, database.db.name, **settings))
        await running.enter_async_context(broker)
        await broker.start()
        for topic, event in valid.items():
            for kind, body in poison(event.model_dump_json().encode()).items():
                await broker.publish(body, topic, key=f"{run}:{kind}".encode())
            await broker.publish(event, topic, key=f"{run}:valid".encode())

        async def everything_handled() -> bool:
            stories = len(await stories_in(database))
            posts = await database.collection("posts").count_documents({})
            return stories >= 1 and posts >= 2  # the valid article; the valid two summaries

        await eventually_async(everything_handled, within=90, what="the valid events handled")

        async def dead_letters() -> dict[tuple[str, str], DeadLetter]:
            found = {}
            for topic in valid:
                async for item in letters(KafkaConnection(KAFKA), topic):
                    key = item.letter.key or ""
                    if key.startswith(f"{run}:"):
                        found[(topic, key.split(":", 1)[1])] = item.letter
            return found

        async def all_dead_lettered() -> bool:
            return len(await dead_letters()) == 9

        await eventually_async(all_dead_lettered, within=60, what="nine dead letters")
        found = await dead_letters()

    for topic, event in valid.items():
        bodies = poison(event.model_dump_json().encode())
        for kind, body in bodies.items():
            letter = found[(topic, kind)]
            assert letter.original == body  # byte for byte
            assert letter.error.startswith("oversize" if kind == "oversize" else "invalid event")
    assert "schema_version" in found[(STORIES_SUMMARIZED, "wrong schema_version")].error


@pytest.mark.timeout(180)
async def test_a_message_too_large_to_dead_letter_whole_leaves_its_start_and_the_partition_moves_on(
    database: Database,
):
    """900 KB of garbage: the broker takes it, the deduplicator cannot read it, and its
    dead letter, base64 and all, would be over the producer's 1 MiB: the letter keeps the
    first 256 KiB with the whole length and SHA-256, and the article after it is handled."""
    run = uuid.uuid4().hex[:8]
    key = f"{run}:one-partition".encode()
    garbage = b"\xff" + b"x" * 900_000
    after = make_article(f"https://huge.example/{run}", title="The article after the garbage")
    broker = make_broker(ServiceSettings(kafka_bootstrap_servers=KAFKA), "test-writer")
    async with running_service("deduplicator", database.db.name), broker:
        await broker.start()
        await broker.publish(garbage, ARTICLES_RAW, key=key)
        await broker.publish(after, ARTICLES_RAW, key=key)

        async def after_in_a_story() -> bool:
            return any(
                a.article_id == after.article_id
                for story in (await stories_in(database)).values()
                for a in story.articles
            )

        await eventually_async(after_in_a_story, within=90, what="the article after the garbage")
        [letter] = [
            i.letter
            async for i in letters(KafkaConnection(KAFKA), ARTICLES_RAW)
            if i.letter.key == key.decode()
        ]

    assert letter.original == garbage[: len(letter.original)]
    assert len(letter.original) == DEAD_LETTER_ORIGINAL_BYTES
    assert letter.original_bytes == len(garbage)
    assert letter.original_sha256 == hashlib.sha256(garbage).hexdigest()
    assert not letter.whole
