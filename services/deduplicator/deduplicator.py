"""The deduplicator over its journal: decides in memory, records each assignment in the
journal shared by all replicas, and keeps its state current with theirs.

What is decided, and why, is in state.py; how replicas agree, in journal.py.
"""

from __future__ import annotations

import asyncio

from services.deduplicator.embeddings import EmbeddingsClient, embedded_text
from services.deduplicator.journal import Journal
from services.deduplicator.settings import DeduplicatorSettings
from services.deduplicator.state import Assignment, DedupState, Outcome
from shared.events import ArticleFetched


class Deduplicator:
    def __init__(
        self,
        journal: Journal,
        settings: DeduplicatorSettings,
        embeddings: EmbeddingsClient | None = None,
    ) -> None:
        self.journal = journal
        self.state = DedupState(settings)
        self.embeddings = embeddings
        self._deciding = asyncio.Lock()  # one decision at a time over this process's state

    async def process(self, article: ArticleFetched) -> Outcome:
        embedding = None
        if self.embeddings and not self.state.knows(article):  # asked before the lock
            (embedding,) = await self.embeddings.embed([embedded_text(article.title, article.text)])
        async with self._deciding:
            while True:
                await self.catch_up()
                decision = self.state.decide(article, embedding)
                if not isinstance(decision, Assignment):
                    return self.state.outcome(decision)
                if await self.journal.append(self.state.position, decision):
                    self.state.apply(decision)
                    return self.state.outcome(decision)
                # Another replica recorded its decision first: apply it, decide again.

    async def catch_up(self) -> None:
        """Apply the journal entries this process has not applied yet."""
        async for assignment in self.journal.read_from(self.state.position):
            self.state.apply(assignment)
