"""The deduplicator's state in MongoDB: seen articles, document frequencies, stories, and
the claim that serialises story assignment across replicas.

Every lookup goes by `_id`: the fingerprints, LSH bands and story keys are small
collections keyed by what is looked up (FerretDB on SQLite answers any other filter by
reading the whole collection, which made each article cost more as the state grew)."""

from __future__ import annotations

import asyncio
from collections.abc import Iterable, Mapping
from contextlib import AbstractAsyncContextManager
from datetime import datetime
from typing import Any

from pymongo import ReturnDocument, UpdateOne

from services.deduplicator.clustering import StoryCandidate, StoryMember
from shared.claims import Claims
from shared.db import Database, Document
from shared.times import as_utc

DOCUMENT_COUNT_ID = "\x00documents"
ASSIGNMENT_CLAIM_ID = "story-assignment"


def terms_document(terms: Mapping[str, int]) -> list[dict[str, Any]]:
    """Terms as {term, count} documents: a term ("1.8", "u.s") may hold a dot, which field
    names must not (FerretDB refuses them, and nested arrays too; MongoDB discourages them)."""
    return [{"term": term, "count": count} for term, count in terms.items()]


def terms_from_document(value: list[dict[str, Any]] | dict[str, int]) -> dict[str, int]:
    """Terms as stored (or, in documents written before, as a mapping)."""
    if isinstance(value, dict):
        return {str(term): int(count) for term, count in value.items()}
    return {str(item["term"]): int(item["count"]) for item in value}


class DedupStore:
    def __init__(self, database: Database) -> None:
        self.articles = database.collection("dedup_articles")
        self.fingerprints = database.collection("dedup_fingerprints")
        self.bands = database.collection("dedup_bands")
        self.story_keys = database.collection("dedup_story_keys")
        self.terms = database.collection("dedup_terms")
        self.stories = database.collection("stories")
        self.claims = Claims(database)

    # -- articles -----------------------------------------------------------------------

    async def article(self, article_id: str) -> Document | None:
        return await self.articles.find_one({"_id": article_id})

    async def holder_of_fingerprint(self, fingerprint: str) -> str | None:
        """The article first seen with this fingerprint."""
        found = await self.fingerprints.find_one({"_id": fingerprint})
        return None if found is None else str(found["article_id"])

    async def articles_in_bands(self, band_keys: list[str], most: int = 50) -> list[Document]:
        """Remembered articles sharing at least one LSH band with these keys."""
        buckets = await asyncio.gather(*(self.bands.find_one({"_id": k}) for k in band_keys))
        ids = list(dict.fromkeys(i for b in buckets if b for i in b["article_ids"]))[:most]
        found = await asyncio.gather(
            *(
                self.articles.find_one({"_id": i}, {"signature": 1, "copy_of": 1, "story_id": 1})
                for i in ids
            )
        )
        return [article for article in found if article is not None]

    async def remember_article(self, document: Document) -> None:
        """The fingerprint and bands first (idempotent), then the article: a crash in
        between leaves index entries that point at an article not yet remembered, which
        its redelivery then remembers."""
        article_id = document["_id"]
        await self.fingerprints.update_one(
            {"_id": document["fingerprint"]},
            {"$setOnInsert": {"article_id": article_id}},
            upsert=True,
        )
        await self.bands.bulk_write(
            [
                UpdateOne({"_id": key}, {"$addToSet": {"article_ids": article_id}}, upsert=True)
                for key in document["band_keys"]
            ],
            ordered=False,
        )
        await self.articles.insert_one(document)

    # -- StoryIndex ---------------------------------------------------------------------

    async def document_frequencies(self, terms: Iterable[str]) -> tuple[int, dict[str, int]]:
        wanted = [*set(terms), DOCUMENT_COUNT_ID]
        # One `$in` read of the small term documents beats one `_id` lookup per term here.
        found = {d["_id"]: d["df"] async for d in self.terms.find({"_id": {"$in": wanted}})}
        return found.pop(DOCUMENT_COUNT_ID, 0), found

    async def count_document(self, terms: Iterable[str]) -> None:
        updates = [
            UpdateOne({"_id": term}, {"$inc": {"df": 1}}, upsert=True)
            for term in [*set(terms), DOCUMENT_COUNT_ID]
        ]
        await self.terms.bulk_write(updates, ordered=False)

    async def candidates(self, terms: Iterable[str], since: datetime) -> list[StoryCandidate]:
        keyed = await asyncio.gather(*(self.story_keys.find_one({"_id": t}) for t in set(terms)))
        story_ids = sorted({i for k in keyed if k for i in k["story_ids"]})
        stories = await asyncio.gather(
            *(
                self.stories.find_one({"_id": i}, {"members": 1, "last_active": 1})
                for i in story_ids
            )
        )
        return [
            StoryCandidate(
                story["_id"],
                [
                    StoryMember(m["article_id"], m["source_id"], terms_from_document(m["terms"]))
                    for m in story["members"]
                ],
            )
            for story in stories
            if story is not None and as_utc(story["last_active"]) >= since
        ]

    # -- stories ------------------------------------------------------------------------

    async def add_article(
        self,
        story_id: str,
        member: StoryMember,
        article: Document,
        keys: list[str],
        seen_at: datetime,
    ) -> Document:
        """Add the article to the story (creating it) and bump its version, once: adding
        an article the story holds already changes nothing. Returns the story.

        Called under the assignment claim, so reading the story and then updating it by
        `_id` alone cannot interleave with another replica's update: FerretDB serves an
        `_id`-only filter from its index and reads the whole collection for any other
        (and its `$ne` on an array of documents does not mean what MongoDB's does)."""
        story = await self.stories.find_one({"_id": story_id})
        if story is not None and member.article_id in story.get("article_ids", ()):
            return story
        story = await self.stories.find_one_and_update(
            {"_id": story_id},
            {
                "$push": {
                    "article_ids": member.article_id,
                    "members": {
                        "article_id": member.article_id,
                        "source_id": member.source_id,
                        "terms": terms_document(member.terms),
                    },
                    "articles": article,
                },
                "$inc": {"version": 1, "article_count": 1},
                "$max": {"last_active": seen_at},
                "$setOnInsert": {"first_seen_at": seen_at},
            },
            upsert=True,
            return_document=ReturnDocument.AFTER,
        )
        assert story is not None
        if keys:
            await self.story_keys.bulk_write(
                [
                    UpdateOne({"_id": key}, {"$addToSet": {"story_ids": story_id}}, upsert=True)
                    for key in keys
                ],
                ordered=False,
            )
        return story

    async def story(self, story_id: str) -> Document | None:
        return await self.stories.find_one({"_id": story_id})

    # -- the claim ----------------------------------------------------------------------

    def assignment_claim(self) -> AbstractAsyncContextManager[None]:
        """Held by one replica at a time, so two articles of one event arriving at two
        replicas at once cannot both start a story. A crashed holder's lease expires."""
        return self.claims.exclusive(ASSIGNMENT_CLAIM_ID)
