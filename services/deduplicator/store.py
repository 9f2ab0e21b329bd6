"""The deduplicator's state in MongoDB: seen articles, document frequencies, stories, and
the claim that serialises story assignment across replicas."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from contextlib import AbstractAsyncContextManager
from datetime import datetime
from typing import Any

from pymongo import ReturnDocument, UpdateOne
from pymongo.errors import DuplicateKeyError

from services.deduplicator.clustering import StoryCandidate, StoryMember
from shared.claims import Claims
from shared.db import Database, Document

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
        self.terms = database.collection("dedup_terms")
        self.stories = database.collection("stories")
        self.claims = Claims(database)

    async def create_indexes(self) -> None:
        await self.articles.create_index("fingerprint", unique=True)
        await self.articles.create_index("band_keys")
        await self.stories.create_index("keys")
        await self.stories.create_index("last_active")

    # -- articles -----------------------------------------------------------------------

    async def article(self, article_id: str) -> Document | None:
        return await self.articles.find_one({"_id": article_id})

    async def article_with_fingerprint(self, fingerprint: str) -> Document | None:
        return await self.articles.find_one({"fingerprint": fingerprint})

    async def articles_in_bands(self, band_keys: list[str]) -> list[Document]:
        if not band_keys:
            return []
        cursor = self.articles.find(
            {"band_keys": {"$in": band_keys}}, {"signature": 1, "copy_of": 1, "story_id": 1}
        )
        return await cursor.to_list(length=50)

    async def remember_article(self, document: Document) -> None:
        await self.articles.insert_one(document)

    # -- StoryIndex ---------------------------------------------------------------------

    async def document_frequencies(self, terms: Iterable[str]) -> tuple[int, dict[str, int]]:
        wanted = [*set(terms), DOCUMENT_COUNT_ID]
        found = {d["_id"]: d["df"] async for d in self.terms.find({"_id": {"$in": wanted}})}
        return found.pop(DOCUMENT_COUNT_ID, 0), found

    async def count_document(self, terms: Iterable[str]) -> None:
        updates = [
            UpdateOne({"_id": term}, {"$inc": {"df": 1}}, upsert=True)
            for term in [*set(terms), DOCUMENT_COUNT_ID]
        ]
        await self.terms.bulk_write(updates, ordered=False)

    async def candidates(self, terms: Iterable[str], since: datetime) -> list[StoryCandidate]:
        cursor = self.stories.find(
            {"keys": {"$in": list(terms)}, "last_active": {"$gte": since}},
            {"members": 1},
        )
        return [
            StoryCandidate(
                story["_id"],
                [
                    StoryMember(m["article_id"], m["source_id"], terms_from_document(m["terms"]))
                    for m in story["members"]
                ],
            )
            async for story in cursor
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

        The guard is a flat `article_ids` array: FerretDB matches `{"members.article_id":
        {"$ne": id}}` when any member differs, where MongoDB requires that none equals."""
        try:
            story = await self.stories.find_one_and_update(
                {"_id": story_id, "article_ids": {"$ne": member.article_id}},
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
                    "$addToSet": {"keys": {"$each": keys}},
                    "$inc": {"version": 1, "article_count": 1},
                    "$max": {"last_active": seen_at},
                    "$setOnInsert": {"first_seen_at": seen_at},
                },
                upsert=True,
                return_document=ReturnDocument.AFTER,
            )
        except DuplicateKeyError:
            story = None  # the story exists and holds the article already
        if story is None:
            story = await self.stories.find_one({"_id": story_id})
        assert story is not None
        return story

    async def story(self, story_id: str) -> Document | None:
        return await self.stories.find_one({"_id": story_id})

    # -- the claim ----------------------------------------------------------------------

    def assignment_claim(self) -> AbstractAsyncContextManager[None]:
        """Held by one replica at a time, so two articles of one event arriving at two
        replicas at once cannot both start a story. A crashed holder's lease expires."""
        return self.claims.exclusive(ASSIGNMENT_CLAIM_ID)
