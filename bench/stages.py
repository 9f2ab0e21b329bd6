"""Each stage's own throughput, in this process, over the real database and no broker:
the deduplicator's decisions, the extractive summarizer, the publisher's writes."""

from __future__ import annotations

import time
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass

from services.deduplicator.deduplicator import Deduplicator
from services.deduplicator.settings import DeduplicatorSettings
from services.deduplicator.store import DedupStore
from services.publisher.store import PostStore
from services.summarizer.draft import ExtractiveBackend
from services.summarizer.settings import SummarizerSettings
from services.summarizer.summarizer import Summarizer
from shared.db import Database
from shared.events import ArticleFetched, StorySummarized, StoryUpdated


@dataclass(frozen=True)
class StageRate:
    stage: str
    items: int
    per_second: float


def _rate(stage: str, items: int, started: float) -> StageRate:
    return StageRate(stage, items, items / (time.perf_counter() - started))


@asynccontextmanager
async def scratch_database(mongo_url: str) -> AsyncIterator[Database]:
    """A database of its own for one measurement, dropped afterwards."""
    database = Database(mongo_url, f"pressroom_bench_{uuid.uuid4().hex[:8]}")
    try:
        yield database
    finally:
        await database.client.drop_database(database.db.name)
        await database.close()


async def dedup_rate(mongo_url: str, articles: list[ArticleFetched]) -> StageRate:
    async with scratch_database(mongo_url) as database:
        store = DedupStore(database)
        await store.create_indexes()
        deduplicator = Deduplicator(store, DeduplicatorSettings())
        started = time.perf_counter()
        for article in articles:
            await deduplicator.process(article)
        return _rate("deduplicator", len(articles), started)


async def summarizer_rate(stories: list[StoryUpdated]) -> tuple[StageRate, list[StorySummarized]]:
    summarizer = Summarizer(ExtractiveBackend(SummarizerSettings().summary_words))
    summaries = []
    started = time.perf_counter()
    for story in stories:
        summary, _ = await summarizer.summarize(story)
        summaries.append(summary)
    return _rate("summarizer (extractive)", len(stories), started), summaries


async def publisher_rate(mongo_url: str, summaries: list[StorySummarized]) -> StageRate:
    async with scratch_database(mongo_url) as database:
        posts = PostStore(database)
        await posts.create_indexes()
        started = time.perf_counter()
        for summary in summaries:
            await posts.publish(summary)
        return _rate("publisher", len(summaries), started)
