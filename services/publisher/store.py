"""The `posts` collection: one document per story, written only over an older version.

A post is replaced only where its stored version is the one read (an atomic
compare-and-set), under a per-story claim, so two replicas (or a redelivery racing a
newer version) can never let an older version win. The slug is set when the post is
created and never changes.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from pymongo import ASCENDING, DESCENDING, TEXT
from pymongo.errors import DuplicateKeyError

from services.publisher.changes import describe_changes
from services.publisher.slugs import slugify
from shared.claims import Claims
from shared.db import Database
from shared.events import StorySummarized, StoryUpdated
from shared.posts import POSTS, WITHDRAWN_POSTS, Post, PostChange, WithdrawnPost

MAX_CHANGES = 10


class Outcome(enum.StrEnum):
    CREATED = "created"
    UPDATED = "updated"
    UNCHANGED = "unchanged"  # this version is already published (a redelivery)
    STALE = "stale"  # a newer version is already published
    WITHDRAWN = "withdrawn"  # the story was withdrawn: its articles joined another story


@dataclass(frozen=True)
class Publication:
    outcome: Outcome
    post: Post | None  # None when the story was withdrawn


@dataclass(frozen=True)
class Withdrawal:
    recorded: bool  # False: recorded already (a redelivery)
    post: WithdrawnPost


def post_fields(summary: StorySummarized) -> dict[str, Any]:
    """What the site reads of a summary, plus the fields it queries on."""
    fields = summary.model_dump(
        mode="python",
        include={
            "version",
            "headline",
            "key_points",
            "summary",
            "category",
            "tags",
            "sources",
            "lead_image",
            "published_at",
            "summarizer",
        },
    )
    originals = {s.source_name for s in summary.sources if not s.is_copy}
    fields["source_names"] = sorted({s.source_name for s in summary.sources})
    fields["outlet_count"] = len(fields["source_names"])
    fields["article_count"] = summary.article_count or len(summary.sources)
    fields["original_count"] = len(originals) or 1
    return fields


def new_post(summary: StorySummarized, now: datetime) -> Post:
    """A story's first post."""
    return Post(
        story_id=summary.story_id,
        slug=slugify(summary.headline, summary.story_id),
        **post_fields(summary),
        first_published_at=now,
        updated_at=now,
    )


class PostStore:
    def __init__(self, database: Database) -> None:
        self.posts = database.collection(POSTS)
        self.withdrawn = database.collection(WITHDRAWN_POSTS)
        self.claims = Claims(database)

    async def create_indexes(self) -> None:
        await self.claims.create_indexes()
        await self.posts.create_index("slug", unique=True)
        await self.posts.create_index([("category", ASCENDING), ("updated_at", DESCENDING)])
        await self.posts.create_index([("source_names", ASCENDING), ("updated_at", DESCENDING)])
        await self.posts.create_index([("updated_at", DESCENDING)])
        # A story page's related posts: those sharing a tag, newest first.
        await self.posts.create_index([("tags", ASCENDING), ("updated_at", DESCENDING)])
        # An unknown address is looked up here too (a merged story's old slug).
        await self.withdrawn.create_index("slug")
        # The site's search: words of the headline, tags and key points, stemmed. Documents
        # name no text-search language of their own (`language` is not ours to give).
        await self.posts.create_index(
            [("headline", TEXT), ("tags", TEXT), ("key_points.text", TEXT)],
            name="search",
            weights={"headline": 5, "tags": 3, "key_points.text": 1},
            default_language="english",
            language_override="text_search_language",
        )

    async def publish(self, summary: StorySummarized, now: datetime | None = None) -> Publication:
        # Kafka keys keep one story on one consumer; the claim covers a rebalance's overlap
        # and a withdrawal of the story (read from another topic) racing its publication.
        async with self.claims.exclusive(f"post:{summary.story_id}"):
            return await self._publish(summary, now or datetime.now(UTC))

    async def withdraw(self, story: StoryUpdated, now: datetime | None = None) -> Withdrawal:
        """The story's articles joined `story.merged_into`: its post leaves the site and is
        remembered, so its page can lead to the story that took them and no late summary
        brings it back. A redelivery records nothing new (`recorded` False) and gives the
        record as it was, so the withdrawal can be announced again."""
        async with self.claims.exclusive(f"post:{story.story_id}"):
            shown = {"slug": 1, "headline": 1, "category": 1, "first_published_at": 1}
            current = await self.posts.find_one({"_id": story.story_id}, shown) or {}
            assert story.merged_into is not None
            withdrawn = WithdrawnPost(
                story_id=story.story_id,
                version=story.version,
                merged_into=story.merged_into,
                slug=current.get("slug"),
                headline=current.get("headline"),
                category=current.get("category"),
                first_published_at=current.get("first_published_at"),
                withdrawn_at=(now or datetime.now(UTC)).replace(microsecond=0),
            )
            recorded = True
            try:
                await self.withdrawn.insert_one(withdrawn.stored())
            except DuplicateKeyError:
                recorded = False
                if stored := await self.withdrawn.find_one({"_id": story.story_id}):
                    withdrawn = WithdrawnPost.model_validate(stored)
            # After the record: a crash in between is healed by the redelivery.
            await self.posts.delete_one({"_id": story.story_id})
            return Withdrawal(recorded, withdrawn)

    async def _publish(self, summary: StorySummarized, now: datetime) -> Publication:
        now = now.replace(microsecond=now.microsecond // 1000 * 1000)  # as BSON stores it
        if await self.withdrawn.find_one({"_id": summary.story_id}, {"_id": 1}):
            return Publication(Outcome.WITHDRAWN, None)
        while True:
            stored = await self.posts.find_one({"_id": summary.story_id})
            if stored is None:
                created = await self._create(summary, now)
                if created is not None:
                    return Publication(Outcome.CREATED, created)
                continue  # another replica created it meanwhile: compare with theirs
            current = Post.model_validate(stored)
            if current.version == summary.version:
                return Publication(Outcome.UNCHANGED, current)
            if current.version > summary.version:
                return Publication(Outcome.STALE, current)
            change = PostChange(
                version=summary.version, at=now, notes=describe_changes(current, summary)
            )
            latest = (*current.changes, change)[-MAX_CHANGES:]
            fields = {**post_fields(summary), "updated_at": now, "changes": latest}
            updated = Post.model_validate({**current.model_dump(), **fields})
            set_fields = {k: v for k, v in updated.stored().items() if k in fields}
            result = await self.posts.update_one(
                {"_id": summary.story_id, "version": current.version}, {"$set": set_fields}
            )
            if result.matched_count == 1:
                return Publication(Outcome.UPDATED, updated)

    async def _create(self, summary: StorySummarized, now: datetime) -> Post | None:
        post = new_post(summary, now)
        slug = post.slug
        try:
            await self.posts.insert_one(post.stored())
        except DuplicateKeyError:
            if await self.posts.find_one({"_id": summary.story_id}, {"_id": 1}) is not None:
                return None  # the story was created meanwhile
            if await self.posts.find_one({"slug": slug}, {"_id": 1}) is None:
                raise  # another unique index refused it: not ours to work around
            # Another story has this headline and the same id prefix: take the full id.
            full = f"{slug.rsplit('-', 1)[0][:80]}-{summary.story_id}".lstrip("-")
            post = post.model_copy(update={"slug": full})
            try:
                await self.posts.insert_one(post.stored())
            except DuplicateKeyError:
                if await self.posts.find_one({"_id": summary.story_id}, {"_id": 1}) is None:
                    raise
                return None
        return post
