"""Reading posts for the site: listings, one post, related posts, search.

Each listing is one indexed query (the publisher creates the indexes); search is a
`$text` query on the `search` index, most relevant first.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, NamedTuple, get_args

from pymongo import DESCENDING

from shared.db import Database, at_most
from shared.events import Category
from shared.posts import LISTED, POSTS, WITHDRAWN_POSTS, Post, PostListing, WithdrawnPost

CATEGORIES: tuple[str, ...] = get_args(Category)
MAX_SEARCH_TERMS = 6
# Looked at before all time: a few hours hold the home page's newest, a day or a week a
# section's (measured at 10,000 posts over a month, one section half of them).
RECENT_WINDOWS = (timedelta(hours=3), timedelta(days=1), timedelta(days=8))
NEWEST_FIRST = [("updated_at", DESCENDING), ("_id", DESCENDING)]


class SitemapEntry(NamedTuple):
    slug: str
    updated_at: datetime


@dataclass(frozen=True)
class Page:
    posts: list[PostListing]
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
        self.posts = database.collection(POSTS)
        self.withdrawn = database.collection(WITHDRAWN_POSTS)
        self.page_size = page_size

    async def page(self, number: int, where: dict[str, Any] | None = None) -> Page:
        """Page `number` of the posts matching `where`: newest first, or most relevant
        first for a search."""
        where = where or {}
        skip = (number - 1) * self.page_size
        if "$text" in where:
            relevance = {"$meta": "textScore"}
            cursor = (
                self.posts.find(where, {**LISTED, "relevance": relevance})
                .sort([("relevance", relevance), *NEWEST_FIRST])
                .skip(skip)
            )
            found = await at_most(cursor, self.page_size + 1).to_list()
        else:
            found = await self._newest(where, self.page_size + 1, skip)
        listed = [PostListing.model_validate(p) for p in found[: self.page_size]]
        return Page(listed, number, len(found) > self.page_size)

    async def by_slug(self, slug: str) -> Post | None:
        found = await self.posts.find_one({"slug": slug})
        return Post.model_validate(found) if found else None

    async def successor(self, slug: str, most_merges: int = 10) -> PostListing | None:
        """For the slug of a withdrawn post: the post of the story its articles joined
        (following that story's own merges), once that story is published."""
        found = await self.withdrawn.find_one({"slug": slug})
        for _ in range(most_merges):
            if found is None:
                return None
            withdrawn = WithdrawnPost.model_validate(found)
            if post := await self.posts.find_one({"_id": withdrawn.merged_into}, LISTED):
                return PostListing.model_validate(post)
            found = await self.withdrawn.find_one({"_id": withdrawn.merged_into})
        return None

    async def related(self, post: Post, count: int = 4) -> list[PostListing]:
        """The newest posts sharing a tag with `post`, else the latest of its category."""
        others = {"_id": {"$ne": post.story_id}}
        found = await self._newest({**others, "tags": {"$in": list(post.tags)}}, count)
        if len(found) < count:
            seen = [post.story_id, *(p["_id"] for p in found)]
            more = {"_id": {"$nin": seen}, "category": post.category}
            found += await self._newest(more, count - len(found))
        return [PostListing.model_validate(p) for p in found]

    async def _newest(
        self, where: dict[str, Any], count: int, skip: int = 0
    ) -> list[dict[str, Any]]:
        """The `count` newest posts matching `where` after the first `skip`.

        The database sorts every post a query matches before it takes some of them
        (FerretDB v2 reads no index in order), so the newest posts are asked for first:
        the (field, updated_at) indexes narrow a recent window to a few posts, and a
        window holding all that is asked for holds what the whole collection would."""
        now = datetime.now(UTC)
        for window in RECENT_WINDOWS:
            recent = {**where, "updated_at": {"$gte": now - window}}
            if len(found := await self._newest_of(recent, count, skip)) == count:
                return found
        return await self._newest_of(where, count, skip)

    async def _newest_of(
        self, where: dict[str, Any], count: int, skip: int
    ) -> list[dict[str, Any]]:
        cursor = self.posts.find(where, LISTED).sort(NEWEST_FIRST).skip(skip)
        return await at_most(cursor, count).to_list()

    async def recent(self, count: int = 6) -> list[PostListing]:
        return [PostListing.model_validate(p) for p in await self._newest({}, count)]

    async def categories(self) -> list[tuple[str, int]]:
        """Each category that has posts, with how many, in the site's order."""
        grouped = self.posts.aggregate([{"$group": {"_id": "$category", "n": {"$sum": 1}}}])
        counts = {group["_id"]: group["n"] async for group in await grouped}
        return [(category, counts[category]) for category in CATEGORIES if counts.get(category)]

    async def all_for_sitemap(self, limit: int = 50_000) -> list[SitemapEntry]:
        cursor = self.posts.find({}, {"slug": 1, "updated_at": 1}).sort("updated_at", DESCENDING)
        found = await at_most(cursor, limit).to_list()
        return [SitemapEntry(p["slug"], p["updated_at"]) for p in found]
