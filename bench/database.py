"""The database's share: the site's and the deduplicator's own queries, timed one at a time
against the local database holding 10,000 posts made from real summaries."""

from __future__ import annotations

import random
import statistics
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from bench.site import uncached_render_ms
from services.deduplicator.journal import Journal
from services.deduplicator.settings import DeduplicatorSettings
from services.deduplicator.state import Assignment, DedupState
from services.publisher.store import PostStore, new_post
from services.site.posts import PostReader, search_filter
from services.site.views import ViewCounter
from shared.events import ArticleFetched, StorySummarized
from tests.infra import scratch_database

POSTS = 10_000
SAMPLES = 200

# What FerretDB 1.24 with SQLite, the previous local database, took for the same reads at
# 10,000 post-like documents of ~3.5 KB (measured for issue 16; writes were not measured).
FERRETDB_1_MS = {"slug_lookup_ms": 1300, "category_listing_ms": 2600, "search_ms": 2600}


@dataclass(frozen=True)
class Timing:
    median: float
    p95: float


async def timed(operation: Callable[[int], Awaitable[object]], samples: int = SAMPLES) -> Timing:
    """Median and p95 in milliseconds of `samples` calls, after a few unmeasured ones."""
    for n in range(5):
        await operation(-1 - n)
    took = []
    for n in range(samples):
        started = time.perf_counter()
        await operation(n)
        took.append((time.perf_counter() - started) * 1000)
    took.sort()
    return Timing(round(statistics.median(took), 2), round(took[int(0.95 * (len(took) - 1))], 2))


def one_assignment(article: ArticleFetched) -> Assignment:
    decision = DedupState(DeduplicatorSettings()).decide(article)
    assert isinstance(decision, Assignment)
    return decision


async def database_timings(
    summaries: list[StorySummarized], article: ArticleFetched, seed: int = 7
) -> tuple[dict[str, Timing], dict[str, Any]]:
    """Each figure of the bench's database line, on a scratch database of its own, and
    each page of the site rendered uncached over its posts."""
    chance = random.Random(seed)
    async with scratch_database("pressroom_bench") as database:
        store = PostStore(database)
        await store.create_indexes()
        # A month of stories, the newest just now.
        start = datetime.now(UTC) - timedelta(days=30)
        spacing = timedelta(days=30) / POSTS
        posts = [
            new_post(
                summary.model_copy(
                    update={
                        "story_id": f"{chance.getrandbits(128):032x}",
                        "headline": f"{summary.headline} ({n})",
                    }
                ),
                start + n * spacing,
            )
            for n, summary in ((n, summaries[n % len(summaries)]) for n in range(POSTS))
        ]
        for batch in range(0, POSTS, 1000):
            await store.posts.insert_many([p.stored() for p in posts[batch : batch + 1000]])
        reader = PostReader(database, page_size=12)
        slugs = [p.slug for p in posts]
        categories = sorted({p.category for p in posts})
        words = [w for p in posts[:500] for w in p.headline.lower().split() if len(w) > 5]
        journal = Journal(database)
        assignment = one_assignment(article)

        views = ViewCounter(database.collection("posts"))

        async def flush_views(n: int) -> object:
            """A flush of views of 100 stories, as the site writes them every few seconds."""
            for story in chance.sample(posts, 100):
                views.record(story.story_id, f"reader-{n}")
            return await views.flush()

        async def search(n: int) -> object:
            return await reader.page(1, search_filter(" ".join(chance.sample(words, 2))))

        story = chance.choice(posts)
        renders = await uncached_render_ms(
            database.db.name,
            {
                "story": f"/story/{story.slug}",
                "home": "/",
                "category": f"/category/{story.category.lower()}",
                "search": f"/search?q={chance.choice(words)}",
            },
        )
        timings = {
            "slug_lookup_ms": await timed(lambda n: reader.by_slug(chance.choice(slugs))),
            "category_listing_ms": await timed(
                lambda n: reader.page(1, {"category": chance.choice(categories)})
            ),
            "search_ms": await timed(search, samples=50),  # the slow one
            "views_flush_100_stories_ms": await timed(flush_views, samples=50),
            "journal_append_ms": await timed(lambda n: journal.append_all(n + 10, [assignment])),
        }
        return timings, renders
