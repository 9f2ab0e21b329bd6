"""Each replica looks for sources that are due and announces them on sources.due.

Claiming a due source is one atomic update in MongoDB, so two replicas never announce
one poll twice; the announcement is keyed by source, so one consumer polls it.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime

from services.fetcher.store import SourceStore
from shared.events import SourceDue

logger = logging.getLogger(__name__)


class Scheduler:
    def __init__(
        self,
        sources: SourceStore,
        announce: Callable[[SourceDue], Awaitable[None]],
        tick_seconds: float,
    ) -> None:
        self.sources = sources
        self.announce = announce
        self.tick_seconds = tick_seconds

    async def run(self) -> None:
        while True:
            try:
                await self.announce_due()
            except asyncio.CancelledError:
                raise
            except Exception:  # the database or broker is away: try again next tick
                logger.exception("scheduling failed")
            await asyncio.sleep(self.tick_seconds)

    async def announce_due(self) -> int:
        count = 0
        while (source_id := await self.sources.claim_due()) is not None:
            await self.announce(SourceDue(source_id=source_id, due_at=datetime.now(UTC)))
            count += 1
        return count
