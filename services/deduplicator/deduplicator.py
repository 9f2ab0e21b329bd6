"""The deduplicator over its journal: decides in memory, records the assignments in the
journal shared by all replicas (a batch's in one write), and keeps its state current with
theirs.

What is decided, and why, is in state.py; how replicas agree, in journal.py; how a
restart skips most of the journal, in snapshot.py.
"""

from __future__ import annotations

import asyncio
import bisect
import logging
from collections.abc import Sequence

from bson.raw_bson import RawBSONDocument

from services.deduplicator.embeddings import Embedding, EmbeddingsClient, embedded_text
from services.deduplicator.journal import Journal
from services.deduplicator.settings import DeduplicatorSettings
from services.deduplicator.snapshot import Snapshots, snapshot_documents
from services.deduplicator.state import Assignment, DedupState, Outcome
from shared.db import Document
from shared.events import ArticleFetched, Timeline, utc_now

logger = logging.getLogger(__name__)

# After losing a race for a journal position, how long a replica records one entry at a
# time.
CONTENDED_SECONDS = 60.0


class Deduplicator:
    def __init__(
        self,
        journal: Journal,
        settings: DeduplicatorSettings,
        embeddings: EmbeddingsClient | None = None,
        snapshots: Snapshots | None = None,
    ) -> None:
        self.journal = journal
        self.settings = settings
        self.state = DedupState(settings)
        self.embeddings = embeddings
        self.snapshots = snapshots
        self._deciding = asyncio.Lock()  # one decision at a time over this process's state
        self._restored = snapshots is None
        self._caught_up = False  # with the journal: at the first article, and after a rebuild
        self._snapshot_position = 0
        self._saving: asyncio.Task[None] | None = None
        self._contended_until = 0.0  # event-loop time

    async def process(self, article: ArticleFetched) -> Outcome:
        (outcome,) = await self.process_all([article])
        return outcome

    async def process_all(self, articles: Sequence[ArticleFetched]) -> list[Outcome]:
        """Each article's outcome, in order: each is decided seeing those before it, and
        their assignments are recorded in the journal together."""
        embeddings = await self._embeddings(articles)  # asked before the lock
        batch = list(zip(articles, embeddings, strict=True))
        async with self._deciding:
            if not self._caught_up:
                await self.catch_up()
                self._caught_up = True
            if len(batch) == 1 or asyncio.get_running_loop().time() < self._contended_until:
                decided = [await self._decide_alone(*each) for each in batch]
            else:
                decided = await self._decide_together(batch)
            self._snapshot_when_due()
        placed_at = utc_now()
        return [
            outcome.timed(Timeline(fetched_at=article.fetched_at, placed_at=placed_at))
            for article, outcome in zip(articles, decided, strict=True)
        ]

    async def _embeddings(self, articles: Sequence[ArticleFetched]) -> list[Embedding | None]:
        """The articles' embeddings, in one request; none for an article already known."""
        unknown = [not self.state.knows(article) for article in articles]
        if self.embeddings is None or not any(unknown):
            return [None] * len(articles)
        texts = [
            embedded_text(a.title, a.text) for a, u in zip(articles, unknown, strict=True) if u
        ]
        embedded = iter(await self.embeddings.embed(texts))
        return [next(embedded) if u else None for u in unknown]

    async def _decide_alone(self, article: ArticleFetched, embedding: Embedding | None) -> Outcome:
        """Decide, record, and only then apply: a lost race for the journal position costs
        reading the winner's entries."""
        while True:
            decision = self.state.decide(article, embedding)
            if not isinstance(decision, Assignment):
                return self.state.outcome(decision)
            if await self.journal.append_all(self.state.position, [decision]):
                self.state.apply(decision)
                return self.state.outcome(decision)
            # Another replica recorded entries since: apply them, decide again. (Only
            # then: a free position proves this replica had every entry before it, so
            # no read before each decision is needed.)
            await self.catch_up()

    async def _decide_together(
        self, batch: list[tuple[ArticleFetched, Embedding | None]]
    ) -> list[Outcome]:
        """Decide and apply each in turn (the next article sees it), then record every
        assignment in one journal write. A lost race for a position means the state holds
        entries the journal does not: it is rebuilt from the journal, the articles from
        the first unrecorded one are decided again one at a time, and so is every batch for
        `CONTENDED_SECONDS` (another replica is writing: batches would keep losing)."""
        start = self.state.position
        outcomes: list[Outcome] = []
        assignments: list[Assignment] = []
        needed: list[int] = []  # how many of the assignments each outcome stands on
        try:
            for article, embedding in batch:
                decision = self.state.decide(article, embedding)
                if isinstance(decision, Assignment):
                    self.state.apply(decision)
                    assignments.append(decision)
                outcomes.append(self.state.outcome(decision))
                needed.append(len(assignments))
            recorded = await self.journal.append_all(start, assignments)
        except BaseException:
            self._forget_state()  # it may hold entries the journal does not
            raise
        if recorded == len(assignments):
            return outcomes
        self._contended_until = asyncio.get_running_loop().time() + CONTENDED_SECONDS
        self._forget_state()
        await self.catch_up()
        self._caught_up = True
        standing = bisect.bisect_right(needed, recorded)
        return outcomes[:standing] + [await self._decide_alone(*each) for each in batch[standing:]]

    def _forget_state(self) -> None:
        """Start again from the newest snapshot and the journal at the next catch-up."""
        self.state = DedupState(self.settings)
        self._restored = self.snapshots is None
        self._caught_up = False

    async def catch_up(self) -> None:
        """Apply the journal entries this process has not applied yet (from the newest
        snapshot, the first time)."""
        if not self._restored and self.snapshots is not None:
            if (restored := await self.snapshots.load(self.settings)) is not None:
                self.state = restored
                self._snapshot_position = restored.position
            self._restored = True
        async for assignment in self.journal.read_from(self.state.position):
            self.state.apply(assignment)

    def _snapshot_when_due(self) -> None:
        """Every `snapshot_every_entries`: the state is copied now (it changes with the
        next article) and written in the background (one write at a time)."""
        due = self.state.position - self._snapshot_position >= self.settings.snapshot_every_entries
        if self.snapshots is None or not due or (self._saving and not self._saving.done()):
            return
        self._snapshot_position = self.state.position
        header, chunks = snapshot_documents(self.state)
        self._saving = asyncio.create_task(self._save(self.snapshots, header, chunks))

    async def _save(
        self, snapshots: Snapshots, header: Document, chunks: list[RawBSONDocument]
    ) -> None:
        try:
            await snapshots.save(header, chunks)
        except Exception:  # a snapshot only saves time at the next start
            logger.exception("snapshot not saved", extra={"position": header["_id"]})

    async def close(self) -> None:
        """Let a snapshot being written finish."""
        if self._saving is not None:
            await self._saving
