"""Snapshots of the deduplicator's state: a restart reads the newest snapshot and the
journal entries after it, not all history.

A snapshot at position n is the state after the journal's first n entries: what the
retention keeps of it (state.py), in chunks (a document holds at most 16 MB), made whole
by its header, written last. The state is a function of the entries, so any replica may
write one and all write the same; the first header stands. The two newest are kept. The
journal itself stays whole: `pressroom audit` replays it all.
"""

from __future__ import annotations

import logging
from array import array
from collections.abc import Iterator
from datetime import datetime
from typing import Any

import bson
from bson.raw_bson import RawBSONDocument
from pymongo import DESCENDING
from pymongo.errors import DuplicateKeyError

from services.deduplicator.clustering import ClusterArticle
from services.deduplicator.settings import DeduplicatorSettings
from services.deduplicator.state import DedupState, SeenArticle, Story
from shared.db import Database, Document
from shared.events import StoryArticle

logger = logging.getLogger(__name__)
ARTICLES_PER_CHUNK = 100  # up to ~40 kB an article: a chunk stays well under 16 MB
STORIES_PER_CHUNK = 2_000
TERMS_PER_CHUNK = 20_000
KEPT = 2


def _time(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


def _parse_time(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value) if value else None


def article_record(state: DedupState, article_id: str) -> Document:
    seen = state.articles[article_id]
    clusterer = state.clusterer
    clustered = clusterer.articles.get(article_id)
    record: Document = {
        "id": article_id,
        "event_id": seen.event_id,
        "story_id": seen.story_id,
        "signature": list(seen.signature),
        "article": seen.article.model_dump(mode="json"),
        "fingerprint": seen.fingerprint,
        "changed": list(seen.changed),
        "since_version": seen.since_version,
        "copies": seen.copies,
        "cluster": None,
    }
    if clustered is not None:
        similar = clusterer.similarities.get(article_id, {})
        record["cluster"] = {
            "terms": list(clustered.terms),
            "term_counts": list(clustered.terms.values()),
            "source_id": clustered.source_id,
            "seen_at": _time(clustered.seen_at),
            "embedding": list(clustered.embedding) if clustered.embedding else None,
            "arrival": clusterer.arrival[article_id],
            "index_keys": list(clusterer.index_keys[article_id]),
            "neighbours": list(similar),
            "similarities": list(similar.values()),
        }
    return record


def story_record(story_id: str, story: Story) -> Document:
    return {
        "id": story_id,
        "first_seen_at": _time(story.first_seen_at),
        "last_seen_at": _time(story.last_seen_at),
        "version": story.version,
        "merged_into": story.merged_into,
        "articles": list(story.articles),
    }


def snapshot_documents(state: DedupState) -> tuple[Document, list[RawBSONDocument]]:
    """The header and chunks of a snapshot of `state` as it is now. Each chunk is encoded
    as soon as it is made: the copy of the state held until it is written is its BSON,
    several times smaller than the same records as Python objects."""
    position = state.position
    chunks: list[RawBSONDocument] = []

    def chunk(**items: Any) -> None:
        record = {"_id": f"{position}:{len(chunks)}", "snapshot": position, **items}
        chunks.append(RawBSONDocument(bson.encode(record)))

    article_ids = list(state.articles)
    for start in range(0, len(article_ids), ARTICLES_PER_CHUNK):
        ids = article_ids[start : start + ARTICLES_PER_CHUNK]
        chunk(articles=[article_record(state, i) for i in ids])
    story_ids = list(state.stories)
    for start in range(0, len(story_ids), STORIES_PER_CHUNK):
        ids = story_ids[start : start + STORIES_PER_CHUNK]
        chunk(stories=[story_record(i, state.stories[i]) for i in ids])
    frequencies = list(state.clusterer.frequencies.items())
    for start in range(0, len(frequencies), TERMS_PER_CHUNK):
        part = frequencies[start : start + TERMS_PER_CHUNK]
        chunk(terms=[t for t, _ in part], counts=[c for _, c in part])
    header = {
        "_id": position,
        "chunks": len(chunks),
        "clock": _time(state.clock),
        "next_sweep": _time(state.next_sweep),
        "documents": state.clusterer.documents,
        "arrived": state.clusterer.arrived,
        "articles": len(article_ids),
        "stories": len(story_ids),
    }
    return header, chunks


def state_from(
    settings: DeduplicatorSettings, header: Document, chunks: Iterator[Document]
) -> DedupState:
    """The state a snapshot holds, as applying its entries had left it."""
    state = DedupState(settings)
    clusterer = state.clusterer
    state.position = header["_id"]
    state.clock = _parse_time(header["clock"])
    state.next_sweep = _parse_time(header["next_sweep"])
    clusterer.documents = header["documents"]
    clusterer.arrived = header["arrived"]
    stories: list[Document] = []
    for document in chunks:
        for record in document.get("articles", ()):
            _restore_article(state, record)
        stories += document.get("stories", ())
        terms = zip(document.get("terms", ()), document.get("counts", ()), strict=True)
        clusterer.frequencies.update(dict(terms))
    for record in stories:
        story = Story(
            first_seen_at=_parse_time(record["first_seen_at"]),  # type: ignore[arg-type]
            last_seen_at=_parse_time(record["last_seen_at"]),  # type: ignore[arg-type]
            version=record["version"],
            merged_into=record["merged_into"],
        )
        story.articles = {i: state.articles[i].article for i in record["articles"]}
        state.stories[record["id"]] = story
    for members in clusterer.members.values():
        members.sort(key=clusterer.arrival.__getitem__)
    return state


def _restore_article(state: DedupState, record: Document) -> None:
    article_id = record["id"]
    seen = SeenArticle(
        event_id=record["event_id"],
        story_id=record["story_id"],
        signature=array("q", record["signature"]),
        article=StoryArticle.model_validate(record["article"]),
        fingerprint=record["fingerprint"],
        changed=tuple(record["changed"]),
        since_version=record["since_version"],
        copies=list(record["copies"]),
    )
    state.articles[article_id] = seen
    state.fingerprints.setdefault(seen.fingerprint, article_id)
    for key in state.hasher.band_keys(seen.signature):
        state.bands[key].append(article_id)
    cluster = record["cluster"]
    if cluster is None:
        return
    clusterer = state.clusterer
    clusterer.articles[article_id] = ClusterArticle(
        article_id,
        cluster["source_id"],
        dict(zip(cluster["terms"], cluster["term_counts"], strict=True)),
        _parse_time(cluster["seen_at"]),  # type: ignore[arg-type]
        tuple(cluster["embedding"]) if cluster["embedding"] else None,
    )
    clusterer.arrival[article_id] = cluster["arrival"]
    clusterer.index_keys[article_id] = tuple(cluster["index_keys"])
    for key in cluster["index_keys"]:
        clusterer.articles_by_term[key][article_id] = None
    clusterer.similarities[article_id] = dict(
        zip(cluster["neighbours"], cluster["similarities"], strict=True)
    )
    clusterer.story_of[article_id] = seen.story_id
    clusterer.members.setdefault(seen.story_id, []).append(article_id)


class Snapshots:
    """Headers in one collection (`_id` the position), chunks in another."""

    def __init__(self, database: Database, collection: str = "dedup_snapshots") -> None:
        self.headers = database.collection(collection)
        self.chunks = database.collection(f"{collection}_chunks")

    async def save(self, header: Document, chunks: list[RawBSONDocument]) -> bool:
        """Store a snapshot; False when one at its position is stored already."""
        if await self.headers.find_one({"_id": header["_id"]}, {"_id": 1}):
            return False
        await self.chunks.delete_many({"snapshot": header["_id"]})  # a torn earlier try
        if chunks:
            await self.chunks.insert_many(chunks)
        try:
            await self.headers.insert_one(header)
        except DuplicateKeyError:
            return False
        await self._prune()
        return True

    async def load(self, settings: DeduplicatorSettings) -> DedupState | None:
        """The newest whole snapshot's state, or None when there is none."""
        async for header in self.headers.find({}).sort("_id", DESCENDING):
            chunks = [
                await self.chunks.find_one({"_id": f"{header['_id']}:{n}"})
                for n in range(header["chunks"])
            ]
            whole = [c for c in chunks if c is not None]
            if len(whole) == len(chunks):
                return state_from(settings, header, iter(whole))
            logger.warning("snapshot missing a chunk, an older one serves", extra=_of(header))
        return None

    async def _prune(self) -> None:
        headers = self.headers.find({}, {"_id": 1}).sort("_id", DESCENDING)
        positions = [h["_id"] async for h in headers]
        if len(positions) < KEPT:
            return
        oldest_kept = positions[KEPT - 1]
        await self.headers.delete_many({"_id": {"$lt": oldest_kept}})
        # Chunks of newer positions may be a snapshot another replica is writing.
        await self.chunks.delete_many({"snapshot": {"$lt": oldest_kept}})


def _of(header: Document) -> dict[str, Any]:
    return {"position": header["_id"]}
