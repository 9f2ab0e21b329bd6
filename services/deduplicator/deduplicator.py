"""The deduplicator over its journal: decides in memory, records each assignment in the
journal shared by all replicas, and keeps its state current with theirs.

What is decided, and why, is in state.py; how replicas agree, in journal.py; how a
restart skips most of the journal, in snapshot.py.
"""

from __future__ import annotations

import asyncio
import logging

from bson.raw_bson import RawBSONDocument

from services.deduplicator.embeddings import EmbeddingsClient, embedded_text
from services.deduplicator.journal import Journal
from services.deduplicator.settings import DeduplicatorSettings
from services.deduplicator.snapshot import Snapshots, snapshot_documents
from services.deduplicator.state import Assignment, DedupState, Outcome
from shared.db import Document
from shared.events import ArticleFetched, Timeline, utc_now

logger = logging.getLogger(__name__)


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
        self._caught_up = False  # with the journal, once at the first article
        self._snapshot_position = 0
        self._saving: asyncio.Task[None] | None = None

    async def process(self, article: ArticleFetched) -> Outcome:
        outcome = await self._decide(article)
        return outcome.timed(Timeline(fetched_at=article.fetched_at, placed_at=utc_now()))

    async def _decide(self, article: ArticleFetched) -> Outcome:
        embedding = None
        if self.embeddings and not self.state.knows(article):  # asked before the lock
            (embedding,) = await self.embeddings.embed([embedded_text(article.title, article.text)])
        async with self._deciding:
            if not self._caught_up:
                await self.catch_up()
                self._caught_up = True
            while True:
                decision = self.state.decide(article, embedding)
                if not isinstance(decision, Assignment):
                    return self.state.outcome(decision)
                if await self.journal.append(self.state.position, decision):
                    self.state.apply(decision)
                    self._snapshot_when_due()
                    return self.state.outcome(decision)
                # Another replica recorded entries since: apply them, decide again. (Only
                # then: a free position proves this replica had every entry before it, so
                # no read before each decision is needed.)
                await self.catch_up()

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
