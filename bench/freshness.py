"""How fresh the site is, from the events themselves: each published version's timeline
gives its hops, and each article's first version on the site, less when it was fetched,
gives its fetched-to-visible time.

A reader of stories.summarized (which articles each version cites, with when each was
fetched) and posts.published (when each version went on the site), from the end of both
topics when the run starts, so only the run's own events count.
"""

from __future__ import annotations

import asyncio
import statistics
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import datetime

from aiokafka import AIOKafkaConsumer

from shared.events import PostPublished, StorySummarized
from shared.topics import POSTS_PUBLISHED, STORIES_SUMMARIZED
from tests.waiting import eventually

HOPS = ("fetched_to_placed", "placed_to_summarized", "summarized_to_published")


def percentiles(values: list[float], *ps: int) -> dict[str, float | None]:
    if len(values) < 2:
        return {f"p{p}": round(values[0], 3) if values else None for p in ps}
    cuts = statistics.quantiles(values, n=100, method="inclusive")
    return {f"p{p}": round(cuts[p - 1], 3) for p in ps}


@dataclass
class Freshness:
    # (story_id, version) -> the cited articles' URLs and when each was fetched
    cited: dict[tuple[str, int], list[tuple[str, datetime]]] = field(default_factory=dict)
    published: list[PostPublished] = field(default_factory=list)

    def take(self, topic: str, value: bytes) -> None:
        if topic == STORIES_SUMMARIZED:
            summary = StorySummarized.model_validate_json(value)
            self.cited[(summary.story_id, summary.version)] = [
                (s.url, s.fetched_at) for s in summary.sources if s.fetched_at is not None
            ]
        else:
            post = PostPublished.model_validate_json(value)
            if post.change != "withdrawn" and post.timeline is not None:
                self.published.append(post)

    def first_visible(self) -> dict[str, tuple[datetime, datetime]]:
        """Each cited article's URL: when it was fetched and when it first was on the site."""
        first: dict[str, tuple[datetime, datetime]] = {}
        for post in self.published:
            visible = post.timeline.published_at if post.timeline else None
            if visible is None:
                continue
            for url, fetched in self.cited.get((post.story_id, post.version), ()):
                if url not in first or visible < first[url][1]:
                    first[url] = (fetched, visible)
        return first

    def released_to_fetched(self, released: dict[str, datetime]) -> dict[str, float | None]:
        """p50/p95/p99 of how long each article on the site waited, from its release on
        the news server (`released`, by URL) until the fetcher had it: polling and
        fetching, the part of release-to-visible before the pipeline's own hops."""
        waits = [
            (fetched - released[url]).total_seconds()
            for url, (fetched, _) in self.first_visible().items()
            if url in released
        ]
        return percentiles(waits, 50, 95, 99)

    def report(self) -> dict[str, object]:
        """Per hop p50/p95 over the published versions (the article that brought each);
        fetched-to-visible p50/p95/p99 over every article on the site."""
        hops = [post.timeline.hops() for post in self.published if post.timeline]
        per_article = [(v - f).total_seconds() for f, v in self.first_visible().values()]
        return {
            "versions": len(hops),
            "hops": {hop: percentiles([h[hop] for h in hops if hop in h], 50, 95) for hop in HOPS},
            "articles": len(per_article),
            "fetched_to_visible_seconds": percentiles(per_article, 50, 95, 99),
        }


@asynccontextmanager
async def measuring_freshness(bootstrap: str) -> AsyncIterator[Freshness]:
    """Read both topics from their ends now until the block ends, then a moment more for
    what was already on its way."""
    freshness = Freshness()
    consumer = AIOKafkaConsumer(
        STORIES_SUMMARIZED,
        POSTS_PUBLISHED,
        bootstrap_servers=bootstrap,
        enable_auto_commit=False,
        auto_offset_reset="latest",  # no group: every partition, from its end
    )
    await consumer.start()
    try:
        await eventually(lambda: bool(consumer.assignment()), 30, "the topics' partitions")
        for partition in consumer.assignment():  # the ends looked up now, not at the first read
            await consumer.position(partition)
        reading = True

        async def read() -> None:
            while reading:
                batches = await consumer.getmany(timeout_ms=200, max_records=5000)
                for records in batches.values():
                    for record in records:
                        if record.value is not None:
                            freshness.take(record.topic, record.value)

        reader = asyncio.create_task(read())
        try:
            yield freshness
        finally:
            await asyncio.sleep(1.0)
            reading = False
            await reader
    finally:
        await consumer.stop()
