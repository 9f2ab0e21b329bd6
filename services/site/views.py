"""Views of story pages: counted in memory, once per client and story within a window,
and added to the posts in one bulk write every few seconds.

A view costs no database round trip, so a page served from the cache touches no database.
A crash loses the views counted since the last flush (`flush_seconds`, 5 by default).
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import time
from collections import Counter, OrderedDict

from prometheus_client import Counter as Metric
from pymongo import UpdateOne
from pymongo.asynchronous.collection import AsyncCollection

from shared.db import Document

logger = logging.getLogger(__name__)

views_total = Metric(
    "pressroom_site_views_total",
    "Story page views by outcome: counted, or repeated (the same client within the window).",
    ["outcome"],
)
view_flushes_total = Metric(
    "pressroom_site_view_flushes_total", "Bulk writes of counted views, by result.", ["result"]
)


def client_of(host: str | None, user_agent: str | None, language: str | None) -> str:
    """Who viewed, as a short hash: the address with the browser, never stored as is."""
    seen = f"{host}\0{user_agent}\0{language}".encode()
    return hashlib.blake2b(seen, digest_size=8).hexdigest()


class ViewCounter:
    def __init__(
        self,
        posts: AsyncCollection[Document],
        *,
        window_seconds: float = 1800,
        remembered: int = 200_000,
    ) -> None:
        self.posts = posts
        self.window = window_seconds
        self.remembered = remembered
        self.pending: Counter[str] = Counter()
        self._last_view: OrderedDict[tuple[str, str], float] = OrderedDict()

    def record(self, story_id: str, client: str) -> bool:
        """Count a view of `story_id` unless `client` viewed it within the window."""
        now, key = time.monotonic(), (client, story_id)
        last = self._last_view.pop(key, None)
        self._last_view[key] = now if last is None or now - last >= self.window else last
        while len(self._last_view) > self.remembered:
            self._last_view.popitem(last=False)  # the least recent view
        if last is not None and now - last < self.window:
            views_total.labels("repeated").inc()
            return False
        self.pending[story_id] += 1
        views_total.labels("counted").inc()
        return True

    async def flush(self) -> int:
        """Add the views counted so far to their posts; how many were written. Views a
        failed write could not add wait for the next flush."""
        if not self.pending:
            return 0
        batch, self.pending = self.pending, Counter()
        writes = [UpdateOne({"_id": story}, {"$inc": {"views": n}}) for story, n in batch.items()]
        try:
            await self.posts.bulk_write(writes, ordered=False)
        except Exception:
            self.pending.update(batch)
            view_flushes_total.labels("failed").inc()
            raise
        view_flushes_total.labels("written").inc()
        return sum(batch.values())

    async def run(self, every_seconds: float) -> None:
        """Flush every `every_seconds` until cancelled, then once more."""
        try:
            while True:
                await asyncio.sleep(every_seconds)
                try:
                    await self.flush()
                except Exception as error:  # the database is away: the next flush tries
                    logger.warning("views not written yet", extra={"error": str(error)})
        finally:
            try:
                await asyncio.shield(self.flush())
            except Exception as error:
                logger.warning("views lost at shutdown", extra={"error": str(error)})
