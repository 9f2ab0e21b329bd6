"""Deduplicator: articles.raw -> stories.updated."""

from __future__ import annotations

from faststream.asgi import AsgiFastStream
from prometheus_client import Counter

from services.deduplicator.deduplicator import Deduplicator
from services.deduplicator.journal import Journal
from services.deduplicator.settings import DeduplicatorSettings
from services.deduplicator.snapshot import Snapshots
from shared.broker import make_broker
from shared.db import Database
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

    @broker.subscriber(
        ARTICLES_RAW,
        group_id=settings.group(SERVICE),
        auto_offset_reset="earliest",
        title="articles.raw:deduplicator",
        description="New articles from the fetcher. Key: article_id.",
    )
    async def on_article(article: ArticleFetched) -> None:
        outcome = await deduplicator.process(article)
        decisions_total.labels(outcome.decision).inc()
        stories = (outcome.story, *outcome.changed) if outcome.story else ()
        for story in stories:
            await stories_updated.publish(story, key=story.story_id.encode())

    return make_service_app(
        broker,
        service=SERVICE,
        settings=settings,
        database=database,
        after_shutdown=[deduplicator.close, *([embeddings.close] if embeddings else [])],
    )
