"""Summarizer: stories.updated -> stories.summarized.

Receiving a story only queues its newest version in MongoDB; a worker summarises it at
once, or, within `PRESSROOM_COALESCE_SECONDS` of the start of the story's last summary,
when that quiet time ends, so a burst of updates costs one summary more.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta

from faststream.asgi import AsgiFastStream
from prometheus_client import Counter

from services.summarizer.draft import ExtractiveBackend, SummaryBackend
from services.summarizer.openai_backend import OpenAIBackend
from services.summarizer.settings import SummarizerSettings
from services.summarizer.store import ClaimedStory, Origin, SummaryQueue, Update
from services.summarizer.summarizer import Summarizer
from services.summarizer.worker import SummaryWorker
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
from shared.events import DeadLetter, StorySummarized, StoryUpdated
from shared.service import make_service_app
from shared.topics import STORIES_SUMMARIZED, STORIES_UPDATED
from shared.tracing import carrier

SERVICE = "summarizer"
SETTINGS = SummarizerSettings  # what create_app takes (services/registry.py)

updates_total = Counter(
    "pressroom_summarizer_updates_total",
    "stories.updated events received: queued, withdrawn (nothing to summarise), or stale "
    "(a newer version was already seen).",
    ["outcome"],
)


def create_app(settings: SummarizerSettings) -> AsgiFastStream:
    broker = make_broker(settings, SERVICE)
    dead_letters = installed(broker, DeadLetterPolicy)
    database = Database.from_settings(settings)
    queue = SummaryQueue(
        database,
        quiet=timedelta(seconds=settings.coalesce_seconds),
        lease=timedelta(seconds=settings.summary_lease_seconds),
    )
    extractive = ExtractiveBackend(settings.summary_words)
    backend: SummaryBackend = (
        OpenAIBackend(settings, extractive)
        if settings.summarizer_backend == "openai"
        else extractive
    )

    stories_summarized = broker.publisher(
        STORIES_SUMMARIZED,
        title="stories.summarized:summarizer",
        description="A story's grounded summary. Key: story_id.",
        schema=StorySummarized,
    )

    async def accept(updates: Sequence[Received[StoryUpdated]]) -> None:
        queued = []
        for each in updates:
            with in_its_trace(each):  # the summary, written later, continues it
                origin = Origin(each.record.partition, each.record.offset)
                queued.append(Update(each.event, origin, carrier()))
        for update, accepted in zip(queued, await queue.accept_all(queued), strict=True):
            updates_total.labels(
                "stale" if not accepted else "withdrawn" if update.story.withdrawn else "queued"
            ).inc()

    # In batches (shared/batches.py): a backlog of updates is queued in two commands.
    @batch_subscriber(
        broker,
        STORIES_UPDATED,
        settings,
        group_id=settings.group(SERVICE),
        title="stories.updated:summarizer",
        description="Stories that gained articles. Key: story_id.",
    )
    async def on_stories(unread: AsDocumented[list[StoryUpdated]]) -> None:
        updates = await read_batch(StoryUpdated, dead_letters)
        await handle_together(updates, accept, dead_letters)

    async def publish(summary: StorySummarized) -> None:
        await stories_summarized.publish(summary, key=summary.story_id.encode())

    async def dead_letter(claimed: ClaimedStory, reason: str) -> None:
        letter = DeadLetter(
            topic=STORIES_UPDATED,
            partition=claimed.origin.partition,
            offset=claimed.origin.offset,
            key=claimed.story.story_id,
            service=SERVICE,
            error=reason,
            attempts=claimed.attempts,
            original=claimed.story.model_dump_json().encode(),
        )
        await dead_letters.deliver(letter)

    worker = SummaryWorker(
        queue,
        Summarizer(backend),
        publish,
        dead_letter,
        max_attempts=settings.handler_max_attempts,
        workers=settings.summary_workers(),
    )

    async def close_backend() -> None:
        if isinstance(backend, OpenAIBackend):
            await backend.close()

    return make_service_app(
        broker,
        service=SERVICE,
        settings=settings,
        database=database,
        on_startup=[queue.create_indexes],
        background=[worker.run],
        after_shutdown=[close_backend],
    )
