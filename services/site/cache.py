"""Rendered responses kept in memory: least recently used first out, bounded in bytes.

Each page is stored with tags naming what it shows (`post:<slug>`, `category:<name>`,
`home`, `sources`, `search`, `sitemap`); a published post invalidates the tags it changes,
not the whole cache.
A page rendered from what the database held before an invalidation of one of its tags is
not stored after it: `put` takes the sequence number its render began at.

An expired page is kept until it is pushed out, so that it can still be served when the
database cannot be reached to render it again.
"""

from __future__ import annotations

import hashlib
import time
from collections import OrderedDict, deque
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import format_datetime
from functools import cached_property

from prometheus_client import Counter, Gauge

lookups_total = Counter("pressroom_site_cache_lookups_total", "Page cache lookups.", ["result"])
HITS, MISSES = lookups_total.labels("hit"), lookups_total.labels("miss")
cached_bytes = Gauge("pressroom_site_cache_bytes", "Bytes of rendered pages held in memory.")
REMEMBERED_INVALIDATIONS = 1024
ENTRY_OVERHEAD_BYTES = 512  # the key, the entry and its tags, roughly


@dataclass(frozen=True)
class CachedPage:
    body: bytes
    media_type: str
    status: int
    etag: str
    last_modified: float | None  # seconds since the epoch
    stored_at: float
    tags: frozenset[str] = frozenset()
    story_id: str | None = None  # the story a story page shows, for its views
    location: str | None = None  # where a redirect leads

    @property
    def size(self) -> int:
        return len(self.body) + ENTRY_OVERHEAD_BYTES

    @cached_property
    def last_modified_header(self) -> str | None:
        """`last_modified` as a Last-Modified header gives it, formatted once per page."""
        if self.last_modified is None:
            return None
        return format_datetime(datetime.fromtimestamp(self.last_modified, UTC), usegmt=True)


class PageCache:
    def __init__(self, max_age_seconds: float, max_bytes: int = 64 * 2**20) -> None:
        self.max_age = max_age_seconds
        self.max_bytes = max_bytes
        self.bytes = 0
        self._pages: OrderedDict[str, CachedPage] = OrderedDict()
        self.sequence = 0  # grows with each invalidation
        self._invalidations: deque[tuple[int, frozenset[str] | None]] = deque(
            maxlen=REMEMBERED_INVALIDATIONS
        )

    def __len__(self) -> int:
        return len(self._pages)

    def get(self, key: str) -> CachedPage | None:
        """The page if it is fresh; None otherwise (`stale` may still have it)."""
        page = self.peek(key)
        if page is None:
            MISSES.inc()
            return None
        self._pages.move_to_end(key)
        HITS.inc()
        return page

    def peek(self, key: str) -> CachedPage | None:
        """The page if it is fresh, as `get` but neither counted nor moved: a look before
        deciding whether to `get` it."""
        page = self._pages.get(key)
        if page is None or time.monotonic() - page.stored_at > self.max_age:
            return None
        return page

    def stale(self, key: str) -> CachedPage | None:
        """The page however old, for when it cannot be rendered again."""
        return self._pages.get(key)

    def put(
        self,
        key: str,
        body: bytes,
        media_type: str,
        status: int = 200,
        last_modified: float | None = None,
        *,
        tags: Iterable[str] = (),
        began: int | None = None,
        story_id: str | None = None,
        location: str | None = None,
    ) -> CachedPage:
        """The page, stored unless one of its tags was invalidated after its render
        began (`began`: the cache's sequence then)."""
        page = CachedPage(
            body=body,
            media_type=media_type,
            status=status,
            etag='"' + hashlib.blake2b(body, digest_size=12).hexdigest() + '"',
            last_modified=last_modified,
            stored_at=time.monotonic(),
            tags=frozenset(tags),
            story_id=story_id,
            location=location,
        )
        if self.max_age > 0 and page.size <= self.max_bytes and self._current(page, began):
            self._drop(key)
            self._pages[key] = page
            self.bytes += page.size
            while self.bytes > self.max_bytes:
                self._drop(next(iter(self._pages)))  # the least recently used
            cached_bytes.set(self.bytes)
        return page

    def invalidate(self, tags: Iterable[str]) -> int:
        """Drop every page that carries one of `tags`; how many were dropped."""
        wanted = frozenset(tags)
        self.sequence += 1
        self._invalidations.append((self.sequence, wanted))
        doomed = [key for key, page in self._pages.items() if page.tags & wanted]
        for key in doomed:
            self._drop(key)
        cached_bytes.set(self.bytes)
        return len(doomed)

    def clear(self) -> None:
        self.sequence += 1
        self._invalidations.append((self.sequence, None))
        self._pages.clear()
        self.bytes = 0
        cached_bytes.set(0)

    def _current(self, page: CachedPage, began: int | None) -> bool:
        if began is None or began == self.sequence:
            return True
        if not self._invalidations or self._invalidations[0][0] > began + 1:
            return False  # invalidations since then are forgotten: assume the worst
        return not any(
            tags is None or tags & page.tags
            for sequence, tags in self._invalidations
            if sequence > began
        )

    def _drop(self, key: str) -> None:
        if (page := self._pages.pop(key, None)) is not None:
            self.bytes -= page.size
