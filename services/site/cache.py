"""Rendered responses kept in memory, cleared when a post is published.

A posts.published event clears everything (a new post changes the home page, its
category, its sources and search at once); an age limit bounds staleness should an
event be missed. A page rendered from what the database held before a clear is not
stored after it: each clear starts a new generation, and `put` stores only a page whose
render began in the current one.
"""

from __future__ import annotations

import hashlib
import time
from dataclasses import dataclass

from prometheus_client import Counter

lookups_total = Counter("pressroom_site_cache_lookups_total", "Page cache lookups.", ["result"])


@dataclass(frozen=True)
class CachedPage:
    body: bytes
    media_type: str
    status: int
    etag: str
    last_modified: float | None  # seconds since the epoch
    stored_at: float


class PageCache:
    def __init__(self, max_age_seconds: float, max_entries: int = 2000) -> None:
        self.max_age = max_age_seconds
        self.max_entries = max_entries
        self._pages: dict[str, CachedPage] = {}
        self.generation = 0  # grows at each clear

    def get(self, key: str) -> CachedPage | None:
        page = self._pages.get(key)
        if page is None or time.monotonic() - page.stored_at > self.max_age:
            lookups_total.labels("miss").inc()
            return None
        lookups_total.labels("hit").inc()
        return page

    def put(
        self,
        key: str,
        body: bytes,
        media_type: str,
        status: int = 200,
        last_modified: float | None = None,
        generation: int | None = None,
    ) -> CachedPage:
        """The page, stored unless it was rendered before the last clear (`generation`
        is the cache's generation when its render began)."""
        page = CachedPage(
            body=body,
            media_type=media_type,
            status=status,
            etag='"' + hashlib.blake2b(body, digest_size=12).hexdigest() + '"',
            last_modified=last_modified,
            stored_at=time.monotonic(),
        )
        if self.max_age > 0 and generation in (None, self.generation):
            if len(self._pages) >= self.max_entries:
                self._pages.pop(next(iter(self._pages)))  # the oldest entry
            self._pages[key] = page
        return page

    def clear(self) -> None:
        self._pages.clear()
        self.generation += 1
