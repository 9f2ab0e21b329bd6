"""The loop that takes due stories off the queue, summarises and publishes them.

A story is marked done only after its summary is durably published; a failure is
retried later with backoff, and after the last attempt the story goes to
`stories.updated.dlq` with the reason, so nothing is dropped silently.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from datetime import timedelta

from prometheus_client import Counter, Gauge, Histogram

from services.summarizer.composer import EmptySummary, GateReport
from services.summarizer.store import ClaimedStory, SummaryQueue
from services.summarizer.summarizer import Summarizer
from shared.events import StorySummarized
from shared.retry import Backoff, Failure, classify
from shared.tracing import attached, detach, tracer

logger = logging.getLogger(__name__)

summaries_total = Counter(
    "pressroom_summaries_total", "Stories summarised, by outcome.", ["outcome"]
)
grounding_total = Counter(
    "pressroom_grounding_total",
    "Sentences through the grounding gate, by part, outcome (grounded, repaired, dropped) "
    "and, for a refused sentence, the reason (number, name, negation, quote, coverage).",
    ["part", "outcome", "reason"],
)
recredited_total = Counter(
    "pressroom_summaries_recredited_total",
    "Published summaries that are the story's previous one credited anew: the story gained "
    "or lost only copies (counted in pressroom_summaries_total too).",
)
summary_seconds = Histogram(
    "pressroom_summary_seconds", "Time to summarise one story, backend call included."
)
queue_depth = Gauge("pressroom_summary_queue_depth", "Stories waiting to be summarised.")

# A failed summary waits 2 s, 4 s, ... up to 5 minutes (an outage: about 2 s each time).
SUMMARY_BACKOFF = Backoff(first_seconds=2.0, max_seconds=300.0)
# How often the queue's depth is counted (KEDA scales replicas on it): busy or idle.
DEPTH_SECONDS = 5.0

Publish = Callable[[StorySummarized], Awaitable[None]]
SendToDeadLetters = Callable[[ClaimedStory, str], Awaitable[None]]


class SummaryWorker:
    def __init__(
        self,
        queue: SummaryQueue,
        summarizer: Summarizer,
        publish: Publish,
        dead_letter: SendToDeadLetters,
        *,
        max_attempts: int,
        workers: int = 1,
        poll_seconds: float = 1.0,
        backoff: Backoff = SUMMARY_BACKOFF,
    ) -> None:
        self.queue = queue
        self.summarizer = summarizer
        self.publish = publish
        self.dead_letter = dead_letter
        self.max_attempts = max_attempts
        self.workers = workers
        self.poll_seconds = poll_seconds
        self.backoff = backoff
        self._depth_counted_at = -DEPTH_SECONDS

    async def run(self) -> None:
        """Until cancelled: summarise every story that is due, `workers` at a time (one
        story's claim, backend call or publish waits while another's is summarised)."""
        await asyncio.gather(self._poll(), *(self._work() for _ in range(self.workers)))

    async def _poll(self) -> None:
        """Every `poll_seconds`, one claim looks for the stories no worker here was woken
        for (another replica's, or queued before a restart). One, not one a worker: eight
        idle workers made eight claims a second."""
        while True:
            await asyncio.sleep(self.poll_seconds)
            self.queue.poll()

    async def _work(self) -> None:
        outages = 0
        anywhere = True  # see SummaryQueue.claim_due
        while True:
            try:
                await self._count_depth()
                woken = self.queue.expect_claims()
                try:
                    anywhere = not await self.step(anywhere)
                    if anywhere:
                        await self.queue.wait_until_due(woken)
                finally:
                    self.queue.forget(woken)
                outages = 0
            except asyncio.CancelledError:
                raise
            except Exception:  # the database is away: wait and go on
                logger.exception("summary queue unavailable")
                outages += 1
                await asyncio.sleep(self.backoff.seconds(outages))

    async def _count_depth(self) -> None:
        if time.monotonic() - self._depth_counted_at >= DEPTH_SECONDS:
            self._depth_counted_at = time.monotonic()
            queue_depth.set(await self.queue.pending())

    async def step(self, anywhere: bool = True) -> bool:
        """Summarise one due story; False when none is due (`anywhere`: see
        `SummaryQueue.claim_due`)."""
        claimed = await self.queue.claim_due(anywhere=anywhere)
        if claimed is None:
            return False
        story = claimed.story
        token = attached(claimed.trace)  # in the trace of the update that queued it
        try:
            attributes: dict[str, str | int] = {
                "pressroom.story_id": story.story_id,
                "pressroom.version": story.version,
            }
            with tracer.start_as_current_span("summarize", attributes=attributes):
                await self._summarize(claimed)
        except asyncio.CancelledError:
            await asyncio.shield(self.queue.release(claimed.story))
            raise
        finally:
            detach(token)
        return True

    async def _summarize(self, claimed: ClaimedStory) -> None:
        story = claimed.story
        if story.withdrawn:  # withdrawn after it was queued: its text is the withdrawal
            await self.queue.drop(story)
            summaries_total.labels("withdrawn").inc()
            return
        try:
            with summary_seconds.time():
                summary, report = await self.summarizer.summarize(story, claimed.previous)
            await self.publish(summary)
        except EmptySummary as error:
            await self._give_up(claimed, f"empty summary: {error}")
            return
        except Exception as error:
            await self._failed(claimed, error)
            return
        await self.queue.finish(claimed, summary)
        _count(report)
        summaries_total.labels("published").inc()
        if report.recredited:
            recredited_total.inc()
        logger.info(
            "story summarised",
            extra={"story_id": story.story_id, "version": story.version, "by": summary.summarizer},
        )

    async def _failed(self, claimed: ClaimedStory, error: Exception) -> None:
        story, reason = claimed.story, f"{type(error).__name__}: {error}"
        failure = classify(error)
        if failure is Failure.OUTAGE:
            # The broker or the database is away (restarting, say): wait, do not count it.
            summaries_total.labels("outage").inc()
            logger.warning(
                "dependency unavailable, will retry",
                extra={"story_id": story.story_id, "error": reason},
            )
            wait = self.backoff.seconds(1)
            await self.queue.retry_later(story, timedelta(seconds=wait), count_attempt=False)
            return
        if failure is Failure.PERMANENT or claimed.attempts >= self.max_attempts:
            await self._give_up(claimed, reason)
            return
        summaries_total.labels("retried").inc()
        logger.warning(
            "summarising failed, will retry",
            extra={"story_id": story.story_id, "attempt": claimed.attempts, "error": reason},
        )
        wait = self.backoff.seconds(claimed.attempts)
        await self.queue.retry_later(story, timedelta(seconds=wait))

    async def _give_up(self, claimed: ClaimedStory, reason: str) -> None:
        await self.dead_letter(claimed, reason)
        await self.queue.give_up(claimed.story)
        summaries_total.labels("dead_lettered").inc()


def _count(report: GateReport) -> None:
    for (part, outcome, reason), n in report.outcomes.items():
        grounding_total.labels(part, outcome, reason).inc(n)
