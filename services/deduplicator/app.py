"""Deduplicator: articles.raw -> stories.updated."""

from __future__ import annotations

import asyncio
from collections import defaultdict
from collections.abc import Sequence

from faststream.asgi import AsgiFastStream
from prometheus_client import Counter

from services.deduplicator.deduplicator import Deduplicator
from services.deduplicator.journal import Journal
from services.deduplicator.settings import DeduplicatorSettings
from services.deduplicator.snapshot import Snapshots
from shared.batches import (
    AsDocumented,
    Received,
    batch_subscriber,
    handle_together,
    in_its_trace,
    read_batch,
)
from shared.broker import installed, make_broker
from shared.db import Database
from shared.dead_letters import DeadLetterPolicy
from shared.events import ArticleFetched, StoryUpdated
from shared.service import make_service_app
from shared.topics import ARTICLES_RAW, STORIES_UPDATED

SERVICE = "deduplicator"
SETTINGS = DeduplicatorSettings  # what create_app takes (services/registry.py)

decisions_total = Counter(
    "pressroom_dedup_decisions_total",
    "What the deduplicator decided per article: duplicate, copy, joined, new, redelivered.",
    ["decision"],
)

Announcement = tuple[Received[ArticleFetched], StoryUpdated]  # a story version, and why


def create_app(settings: DeduplicatorSettings) -> AsgiFastStream:
    broker = make_broker(settings, SERVICE)
    database = Database.from_settings(settings)
    embeddings = settings.embeddings_client()
    deduplicator = Deduplicator(Journal(database), settings, embeddings, Snapshots(database))

    stories_updated = broker.publisher(
        STORIES_UPDATED,
        title="stories.updated:deduplicator",
        description="A story gained, lost or changed articles, or was withdrawn. Key: story_id.",
        schema=StoryUpdated,
    )

    dead_letters = installed(broker, DeadLetterPolicy)

    async def place(articles: Sequence[Received[ArticleFetched]]) -> None:
        outcomes = await deduplicator.process_all([each.event for each in articles])
        versions: defaultdict[str, list[Announcement]] = defaultdict(list)
        for received, outcome in zip(articles, outcomes, strict=True):
            decisions_total.labels(outcome.decision).inc()
            for story in outcome.stories:
                versions[story.story_id].append((received, story))
        # A story's versions in order, the stories at once (the producer batches them).
        await asyncio.gather(*map(announce, versions.values()))

    async def announce(versions: list[Announcement]) -> None:
        for received, story in versions:
            with in_its_trace(received):
                await stories_updated.publish(story, key=story.story_id.encode())

    # In batches (shared/batches.py): a backlog of articles is recorded in one journal
    # write a batch, and its story updates sent together.
    @batch_subscriber(
        broker,
        ARTICLES_RAW,
        settings,
        group_id=settings.group(SERVICE),
        title="articles.raw:deduplicator",
        description="New articles from the fetcher. Key: article_id.",
    )
    async def on_articles(unread: AsDocumented[list[ArticleFetched]]) -> None:
        await handle_together(await read_batch(ArticleFetched, dead_letters), place, dead_letters)

    return make_service_app(
        broker,
        service=SERVICE,
        settings=settings,
        database=database,
        after_shutdown=[deduplicator.close, *([embeddings.close] if embeddings else [])],
    )
