"""The `posts` collection: one document per story, written only over an older version.

A post is replaced only where its stored version is the one read (an atomic
compare-and-set), under a per-story claim, so two replicas (or a redelivery racing a
newer version) can never let an older version win. The slug is set when the post is
created and never changes.
"""

from __future__ import annotations

import enum
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from pymongo import ASCENDING, DESCENDING, TEXT, InsertOne, UpdateOne
from pymongo.errors import DuplicateKeyError

from services.publisher.changes import describe_changes
from services.publisher.slugs import slugify
from shared.claims import Claims
from shared.db import Database, write_each
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

    async def publish_all(
        self, summaries: Sequence[StorySummarized], now: datetime | None = None
    ) -> list[Publication]:
        """What `publish` would give for each of `summaries` one after another, in a few
        commands for them all: only each story's newest version is written (the others are
        stale once it is). A story another process holds, or whose new post's slug or id is
        taken meanwhile, is then published on its own."""
        now = as_stored(now or datetime.now(UTC))
        newest: dict[str, StorySummarized] = {}
        for summary in summaries:
            if summary.story_id not in newest or summary.version > newest[summary.story_id].version:
                newest[summary.story_id] = summary
        claim_of = {f"post:{story_id}": story_id for story_id in newest}
        done: dict[str, Publication] = {}
        async with self.claims.free_ones(claim_of) as taken:
            held = [newest[claim_of[key]] for key in taken]
            left = await self._publish_held(held, now, done) if held else []
        left += [newest[story_id] for key, story_id in claim_of.items() if key not in taken]
        for summary in left:
            done[summary.story_id] = await self.publish(summary, now)
        return [
            done[summary.story_id]
            if summary is newest[summary.story_id]
            else _read_after(summary, done[summary.story_id])
            for summary in summaries
        ]

    async def _publish_held(
        self, summaries: list[StorySummarized], now: datetime, done: dict[str, Publication]
    ) -> list[StorySummarized]:
        """Publish stories whose claims are held, into `done`; those to publish alone."""
        ids = [summary.story_id for summary in summaries]
        withdrawn = {d["_id"] async for d in self.withdrawn.find({"_id": {"$in": ids}}, {"_id": 1})}
        stored = {d["_id"]: d async for d in self.posts.find({"_id": {"$in": ids}})}
        writes: list[InsertOne[Any] | UpdateOne] = []
        written: list[Publication] = []
        for summary in summaries:
            story_id = summary.story_id
            if story_id in withdrawn:
                done[story_id] = Publication(Outcome.WITHDRAWN, None)
            elif story_id not in stored:
                post = new_post(summary, now)
                writes.append(InsertOne(post.stored()))
                written.append(Publication(Outcome.CREATED, post))
            else:
                current = Post.model_validate(stored[story_id])
                publication, update = _next_version(current, summary, now)
                if update is None:
                    done[story_id] = publication
                else:
                    writes.append(UpdateOne({"_id": story_id, "version": current.version}, update))
                    written.append(publication)
        if not writes:
            return []
        written_each = await write_each(self.posts, writes)
        failed = set(written_each.refused)  # a slug taken, say: see _create
        updates = [i for i, write in enumerate(writes) if isinstance(write, UpdateOne)]
        if written_each.matched < len(updates):
            failed.update(updates)  # one lost its race: each is tried again alone
        for index, publication in enumerate(written):
            if index not in failed:
                assert publication.post is not None
                done[publication.post.story_id] = publication
        return [summary for summary in summaries if summary.story_id not in done]

    async def _publish(self, summary: StorySummarized, now: datetime) -> Publication:
        now = as_stored(now)
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
            publication, update = _next_version(current, summary, now)
            if update is None:
                return publication
            result = await self.posts.update_one(
                {"_id": summary.story_id, "version": current.version}, update
            )
            if result.matched_count == 1:
                return publication

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


def as_stored(now: datetime) -> datetime:
    """`now` to the millisecond, as BSON stores it."""
    return now.replace(microsecond=now.microsecond // 1000 * 1000)


def _next_version(
    current: Post, summary: StorySummarized, now: datetime
) -> tuple[Publication, dict[str, Any] | None]:
    """What `summary` makes of the stored post `current`, and the update that writes it
    (None: nothing to write, the version is there already or a newer one is)."""
    if current.version == summary.version:
        return Publication(Outcome.UNCHANGED, current), None
    if current.version > summary.version:
        return Publication(Outcome.STALE, current), None
    change = PostChange(version=summary.version, at=now, notes=describe_changes(current, summary))
    latest = (*current.changes, change)[-MAX_CHANGES:]
    fields = {**post_fields(summary), "updated_at": now, "changes": latest}
    updated = Post.model_validate({**current.model_dump(), **fields})
    set_fields = {k: v for k, v in updated.stored().items() if k in fields}
    return Publication(Outcome.UPDATED, updated), {"$set": set_fields}


def _read_after(summary: StorySummarized, newest: Publication) -> Publication:
    """The publication of `summary` read after its story's newest version in the batch
    (`newest`): the same version again is unchanged, an older one stale."""
    if newest.post is None:
        return newest  # withdrawn
    if summary.version == newest.post.version:
        return Publication(Outcome.UNCHANGED, newest.post)
    return Publication(Outcome.STALE, newest.post)
