"""Publisher: stories.summarized -> MongoDB `posts` -> posts.published.

It also takes withdrawn stories from stories.updated (a withdrawal needs no summary):
their posts leave the site."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

from faststream.asgi import AsgiFastStream
from prometheus_client import Counter, Histogram

from services.publisher.settings import PublisherSettings
from services.publisher.store import Outcome, PostStore, Publication
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
from shared.events import PostPublished, StorySummarized, StoryUpdated
from shared.posts import WithdrawnPost
from shared.service import make_service_app
from shared.topics import POSTS_PUBLISHED, STORIES_SUMMARIZED, STORIES_UPDATED

SERVICE = "publisher"
SETTINGS = PublisherSettings  # what create_app takes (services/registry.py)

publications_total = Counter(
    "pressroom_publications_total",
    "Summaries the publisher handled: created, updated, unchanged (redelivery), stale, "
    "withdrawn (the story was withdrawn).",
    ["outcome"],
)
withdrawals_total = Counter(
    "pressroom_withdrawals_total",
    "Posts taken off the site because their story's articles joined another story.",
)
freshness_seconds = Histogram(
    "pressroom_freshness_seconds",
    "Seconds each hop took for the article that brought a published version: fetched_to_placed, "
    "placed_to_summarized, summarized_to_published and fetched_to_visible (end to end).",
    ["hop"],
    buckets=(0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 30, 60, 300, 1800),
)


def withdrawn_post(post: WithdrawnPost) -> PostPublished:
    """The announcement of a withdrawal (schema version 2)."""
    return PostPublished.model_validate(
        {
            "schema_version": 2,
            "story_id": post.story_id,
            "slug": post.slug,
            "version": post.version,
            "change": "withdrawn",
            "merged_into": post.merged_into,
            "headline": post.headline,
            "category": post.category,
            "first_published_at": post.first_published_at,
            "updated_at": post.withdrawn_at,
        }
    )


def create_app(settings: PublisherSettings) -> AsgiFastStream:
    broker = make_broker(settings, SERVICE)
    database = Database.from_settings(settings)
    store = PostStore(database)

    posts_published = broker.publisher(
        POSTS_PUBLISHED,
        title="posts.published:publisher",
        description="A post was created, updated or withdrawn on the site. Key: story_id.",
        schema=PostPublished,
    )

    dead_letters = installed(broker, DeadLetterPolicy)

    async def announce(received: Received[StorySummarized], publication: Publication) -> None:
        summary, post = received.event, publication.post
        if post is None or publication.outcome is Outcome.STALE:
            return
        timeline = None
        if summary.timeline is not None:
            timeline = summary.timeline.model_copy(update={"published_at": post.updated_at})
            if publication.outcome in (Outcome.CREATED, Outcome.UPDATED):
                for hop, seconds in timeline.hops().items():
                    freshness_seconds.labels(hop).observe(seconds)
        announcement = PostPublished(
            story_id=summary.story_id,
            slug=post.slug,
            version=post.version,
            change="created" if post.first_published_at == post.updated_at else "updated",
            headline=post.headline,
            category=post.category,
            first_published_at=post.first_published_at,
            updated_at=post.updated_at,
            timeline=timeline,
        )
        # A redelivered version is announced again: the first announcement may be the
        # one that was lost when the process stopped after writing.
        with in_its_trace(received):
            await posts_published.publish(announcement, key=summary.story_id.encode())

    async def publish(summaries: Sequence[Received[StorySummarized]]) -> None:
        publications = await store.publish_all([each.event for each in summaries])
        for publication in publications:
            publications_total.labels(publication.outcome).inc()
        # Sent together, so the producer batches them.
        await asyncio.gather(*map(announce, summaries, publications))

    async def withdraw(stories: Sequence[Received[StoryUpdated]]) -> None:
        for each in stories:
            with in_its_trace(each):
                story = each.event
                withdrawal = await store.withdraw(story)
                if withdrawal.recorded:
                    withdrawals_total.inc()
                if withdrawal.post.was_on_the_site:
                    # Announced again on a redelivery, as a summary is: the first may be lost.
                    await posts_published.publish(
                        withdrawn_post(withdrawal.post), key=story.story_id.encode()
                    )

    # In batches (shared/batches.py): a backlog of summaries is written in a few commands,
    # and stories.updated, read only for its withdrawals, is mostly passed over.
    @batch_subscriber(
        broker,
        STORIES_SUMMARIZED,
        settings,
        group_id=settings.group(SERVICE),
        title="stories.summarized:publisher",
        description="Grounded summaries to publish. Key: story_id.",
    )
    async def on_summaries(unread: AsDocumented[list[StorySummarized]]) -> None:
        summaries = await read_batch(StorySummarized, dead_letters)
        await handle_together(summaries, publish, dead_letters)

    withdrawals_group = f"{settings.group(SERVICE)}-withdrawals"

    @batch_subscriber(
        broker,
        STORIES_UPDATED,
        settings,
        group_id=withdrawals_group,
        title="stories.updated:publisher",
        description="Withdrawn stories, whose posts leave the site; others are skipped.",
    )
    async def on_stories(unread: AsDocumented[list[StoryUpdated]]) -> None:
        stories = await read_batch(StoryUpdated, dead_letters)
        withdrawn = [each for each in stories if each.event.withdrawn]
        await handle_together(withdrawn, withdraw, dead_letters)

    return make_service_app(
        broker,
        service=SERVICE,
        settings=settings,
        database=database,
        on_startup=[store.create_indexes],
    )
