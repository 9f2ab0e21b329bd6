"""Reading posts for the site: listings, one post, related posts, search.

Each listing is one indexed query (the publisher creates the indexes); search is a
`$text` query on the `search` index, most relevant first.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, get_args

from pymongo import DESCENDING

from shared.db import Database
from shared.events import Category

Post = dict[str, Any]
CATEGORIES: tuple[str, ...] = get_args(Category)
MAX_SEARCH_TERMS = 6
RECENT_WINDOWS = (timedelta(days=1), timedelta(days=8))  # looked at before all time

# What a listing shows of a post: not the whole summary.
LISTING = {
    "slug": 1,
    "headline": 1,
    "category": 1,
    "key_points": 1,
    "lead_image": 1,
    "source_names": 1,
    "outlet_count": 1,
    "original_count": 1,
    "published_at": 1,
    "first_published_at": 1,
    "updated_at": 1,
    "views": 1,
}


@dataclass(frozen=True)
class Page:
    posts: list[Post]
    number: int
    has_next: bool

    @property
    def has_previous(self) -> bool:
        return self.number > 1


def search_filter(query: str) -> dict[str, Any] | None:
    """Posts with any word of `query` (stemmed; the more and rarer, the higher they rank);
    None for no words."""
    terms = re.findall(r"\w+", query.lower())[:MAX_SEARCH_TERMS]
    if not terms:
        return None
    return {"$text": {"$search": " ".join(terms)}}


class PostReader:
    def __init__(self, database: Database, page_size: int) -> None:
        self.posts = database.collection("posts")
        self.withdrawn = database.collection("withdrawn_posts")
        self.page_size = page_size

    async def page(self, number: int, where: dict[str, Any] | None = None) -> Page:
        """Page `number` of the posts matching `where`: newest first, or most relevant
        first for a search."""
        where = where or {}
        if "$text" in where:
            relevance = {"$meta": "textScore"}
            return await self._page(
                number, where, {**LISTING, "relevance": relevance}, [("relevance", relevance)]
            )
        # The database sorts every post a query matches before it takes a page of them
        # (FerretDB v2 reads no index in order), so the newest posts are asked for first:
        # the (field, updated_at) indexes narrow a recent window to a few posts. A window
        # holding a full page holds the same page as the whole collection would.
        now = datetime.now(UTC)
        for window in RECENT_WINDOWS:
            recent = {**where, "updated_at": {"$gte": now - window}}
            if (page := await self._page(number, recent, LISTING)).has_next:
                return page
        return await self._page(number, where, LISTING)

    async def _page(
        self,
        number: int,
        where: dict[str, Any],
        shown: dict[str, Any],
        first_by: list[tuple[str, Any]] | None = None,
    ) -> Page:
        cursor = (
            self.posts.find(where, shown)
            .sort([*(first_by or []), ("updated_at", DESCENDING), ("_id", DESCENDING)])
            .skip((number - 1) * self.page_size)
            .limit(self.page_size + 1)
        )
        found = await cursor.to_list(length=self.page_size + 1)
        return Page(found[: self.page_size], number, len(found) > self.page_size)

    async def by_slug(self, slug: str) -> Post | None:
        return await self.posts.find_one({"slug": slug})

    async def successor(self, slug: str, most_merges: int = 10) -> Post | None:
        """For the slug of a withdrawn post: the post of the story its articles joined
        (following that story's own merges), once that story is published."""
        withdrawn = await self.withdrawn.find_one({"slug": slug})
        for _ in range(most_merges):
            if withdrawn is None:
                return None
            if post := await self.posts.find_one({"_id": withdrawn["merged_into"]}):
                return post
            withdrawn = await self.withdrawn.find_one({"_id": withdrawn["merged_into"]})
        return None

    async def related(self, post: Post, count: int = 4) -> list[Post]:
        """Posts sharing a tag with `post`, else the latest of its category."""
        others = {"_id": {"$ne": post["_id"]}}
        cursor = self.posts.find({**others, "tags": {"$in": post.get("tags") or []}}, LISTING)
        found = await cursor.sort("updated_at", DESCENDING).limit(count).to_list(length=count)
        if len(found) < count:
            seen = [post["_id"], *(p["_id"] for p in found)]
            more = self.posts.find({"_id": {"$nin": seen}, "category": post["category"]}, LISTING)
            found += (
                await more.sort("updated_at", DESCENDING)
                .limit(count - len(found))
                .to_list(length=count)
            )
        return found

    async def recent(self, count: int = 6) -> list[Post]:
        cursor = self.posts.find({}, LISTING).sort("updated_at", DESCENDING).limit(count)
        return await cursor.to_list(length=count)

    async def categories(self) -> list[tuple[str, int]]:
        """Each category that has posts, with how many."""
        counts = []
        for category in CATEGORIES:
            n = await self.posts.count_documents({"category": category})
            if n:
                counts.append((category, n))
        return counts

    async def all_for_sitemap(self, limit: int = 50_000) -> list[Post]:
        cursor = self.posts.find({}, {"slug": 1, "updated_at": 1}).sort("updated_at", DESCENDING)
        return await cursor.limit(limit).to_list(length=limit)
