"""Each stage's own throughput, in this process, over the real database and no broker:
the deduplicator's decisions, the extractive summarizer, the publisher's writes."""

from __future__ import annotations

import time
from dataclasses import dataclass

from services.deduplicator.deduplicator import Deduplicator
from services.deduplicator.journal import Journal
from services.deduplicator.settings import DeduplicatorSettings
from services.publisher.store import PostStore
from services.summarizer.draft import ExtractiveBackend
from services.summarizer.settings import SummarizerSettings
from services.summarizer.summarizer import Summarizer
from shared.events import ArticleFetched, StorySummarized, StoryUpdated
from tests.infra import scratch_database


@dataclass(frozen=True)
class StageRate:
    stage: str
    items: int
    per_second: float


def _rate(stage: str, items: int, started: float) -> StageRate:
    return StageRate(stage, items, items / (time.perf_counter() - started))


async def dedup_rate(articles: list[ArticleFetched], batch_size: int = 1) -> StageRate:
    """The deduplicator's decisions and journal writes one article at a time, or
    `batch_size` at a time as its batch subscriber hands them over when there is a
    backlog."""
    async with scratch_database("pressroom_bench") as database:
        deduplicator = Deduplicator(Journal(database), DeduplicatorSettings())
        started = time.perf_counter()
        for start in range(0, len(articles), batch_size):
            await deduplicator.process_all(articles[start : start + batch_size])
        stage = "deduplicator" if batch_size == 1 else f"deduplicator (batches of {batch_size})"
        return _rate(stage, len(articles), started)


async def summarizer_rate(stories: list[StoryUpdated]) -> tuple[StageRate, list[StorySummarized]]:
    summarizer = Summarizer(ExtractiveBackend(SummarizerSettings().summary_words))
    summaries = []
    started = time.perf_counter()
    for story in stories:
        summary, _ = await summarizer.summarize(story)
        summaries.append(summary)
    return _rate("summarizer (extractive)", len(stories), started), summaries


async def publisher_rate(summaries: list[StorySummarized], batch_size: int = 1) -> StageRate:
    """The publisher's writes one summary at a time, or `batch_size` at a time as its
    batch subscriber hands them over when there is a backlog."""
    async with scratch_database("pressroom_bench") as database:
        posts = PostStore(database)
        await posts.create_indexes()
        started = time.perf_counter()
        for start in range(0, len(summaries), batch_size):
            await posts.publish_all(summaries[start : start + batch_size])
        stage = "publisher" if batch_size == 1 else f"publisher (batches of {batch_size})"
        return _rate(stage, len(summaries), started)


async def host_speed(stories: list[StoryUpdated]) -> float:
    """The extractive summarizer's stories a second in this process, nothing else running:
    how fast the shared host is at that moment (it moves by half within an hour), to read
    the stage that follows by."""
    rate, _ = await summarizer_rate(stories)
    return round(rate.per_second, 1)
