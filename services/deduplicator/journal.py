"""The deduplicator's state in MongoDB: a journal of its assignments, one entry per
article that joined a story (with the earlier articles that changed story with it), in
the order they were decided.

Entry n has `_id` n. Appending entry n is an insert, which the unique `_id` makes an atomic claim:
of two replicas that decided article A and article B with the same n - 1 entries
applied, one insert wins and the other learns the winner's entry and decides again. So
two replicas never start two stories for one event, and a restart loses nothing: the
journal read from the start rebuilds the state.

A batch of entries n, n + 1, ... is one ordered insert: it stops at the first position
another replica holds, so what was stored is always an unbroken run from n.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence

from pymongo.errors import BulkWriteError

from services.deduplicator.clustering import Move, Placement
from services.deduplicator.state import Assignment
from shared.db import Database, Document, is_duplicate_key_error
from shared.events import StoryArticle
from shared.times import as_utc


def entry_document(position: int, assignment: Assignment) -> Document:
    a = assignment
    return {
        "_id": position,
        "decision": a.decision,
        "article_id": a.article_id,
        "event_id": a.event_id,
        "fingerprint": a.fingerprint,
        "signature": list(a.signature),
        "story_id": a.story_id,
        "placement": placement_document(a.placement) if a.placement else None,
        # Two lists, not a mapping: a term ("u.s", "1.8") may hold a dot, which field
        # names must not.
        "terms": list(a.terms),
        "term_counts": list(a.terms.values()),
        "embedding": list(a.embedding) if a.embedding else None,
        "article": a.article.model_dump(mode="json"),
        "seen_at": a.seen_at,
    }


def placement_document(placement: Placement) -> Document:
    return {
        "index_keys": list(placement.index_keys),
        "neighbours": [article_id for article_id, _ in placement.similarities],
        "similarities": [similarity for _, similarity in placement.similarities],
        "moves": [
            {"article_id": m.article_id, "from_story": m.from_story, "to_story": m.to_story}
            for m in placement.moves
        ],
    }


def placement_of(story_id: str, document: Document | None) -> Placement | None:
    if document is None:
        return None
    return Placement(
        story_id=story_id,
        index_keys=tuple(document["index_keys"]),
        similarities=tuple(zip(document["neighbours"], document["similarities"], strict=True)),
        moves=tuple(Move(**move) for move in document["moves"]),
    )


def assignment_of(document: Document) -> Assignment:
    return Assignment(
        decision=document["decision"],
        article_id=document["article_id"],
        event_id=document["event_id"],
        fingerprint=document["fingerprint"],
        signature=tuple(document["signature"]),
        story_id=document["story_id"],
        placement=placement_of(document["story_id"], document["placement"]),
        terms=dict(zip(document["terms"], document["term_counts"], strict=True)),
        embedding=tuple(document["embedding"]) if document.get("embedding") else None,
        article=StoryArticle.model_validate(document["article"]),
        seen_at=as_utc(document["seen_at"]),
    )


class Journal:
    def __init__(self, database: Database, collection: str = "dedup_journal") -> None:
        self.entries = database.collection(collection)

    async def append_all(self, position: int, assignments: Sequence[Assignment]) -> int:
        """Store `assignments` as the entries from `position` on, in order; how many were
        stored before a position another replica stored one at first (all, usually)."""
        documents = [entry_document(position + n, a) for n, a in enumerate(assignments)]
        if not documents:
            return 0
        try:
            await self.entries.insert_many(documents, ordered=True)
        except BulkWriteError as error:
            errors = error.details.get("writeErrors", [])
            if not errors or not is_duplicate_key_error(errors[0]):
                raise
            return int(errors[0]["index"])
        return len(documents)

    async def read_from(self, position: int) -> AsyncIterator[Assignment]:
        """The entries from `position` on, in order. Usually there are none (this replica
        wrote the last one), which one `_id` lookup tells; else one range read."""
        if await self.entries.find_one({"_id": position}, {"_id": 1}) is None:
            return
        async for document in self.entries.find({"_id": {"$gte": position}}).sort("_id", 1):
            if document["_id"] != position:
                raise RuntimeError(f"journal entry {position} is missing")
            yield assignment_of(document)
            position += 1
