"""Each replica looks for sources that are due and announces them on sources.due.

Claiming a due source is one atomic update in MongoDB, so two replicas never announce
one poll twice; the announcement is keyed by source, so one consumer polls it. A claim
whose announcement fails (the broker restarting) is released at once, and so is a claim
whose reply was lost (the database restarting as it answered): the source is due again at
the next tick, not when its claim runs out. A claim is short (ANNOUNCING) until its
announcement is on the topic, then lasts the poll (IN_FLIGHT): a process killed between
the two delays its source by seconds, not a quarter of an hour.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import uuid
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime

from services.fetcher.store import CLAIMED_AT_ONCE, SourceStore
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
        self._unsettled: list[str] = []  # claims that may have been made, their reply lost

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
        while self._unsettled:
            await self.sources.release_claim(self._unsettled[0])
            self._unsettled.pop(0)
        count = 0
        more = True
        while more:
            claim = uuid.uuid4().hex
            try:
                source_ids = await self.sources.claim_due(claim)
            except Exception:
                self._unsettled.append(claim)
                raise
            # Sources fall due all the time: another look now would find one or two, at
            # four commands a look. Only a full batch leaves some due for now.
            more = len(source_ids) == CLAIMED_AT_ONCE
            # Sent together, so the producer batches them.
            sent = await asyncio.gather(
                *(
                    self.announce(SourceDue(source_id=source_id, due_at=datetime.now(UTC)))
                    for source_id in source_ids
                ),
                return_exceptions=True,
            )
            outcomes = list(zip(source_ids, sent, strict=True))
            announced = [source_id for source_id, error in outcomes if error is None]
            # Not held for long until the poll is on the topic: a process killed in
            # between leaves the source due again within a minute.
            await self.sources.announced(announced, claim)
            count += len(announced)
            if unsent := [(s, error) for s, error in outcomes if error is not None]:
                with contextlib.suppress(Exception):  # else the claims run out by themselves
                    await self.sources.release([source_id for source_id, _ in unsent])
                raise unsent[0][1]
        return count
