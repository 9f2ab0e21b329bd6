"""Online story clustering: each article joins the most similar recent story, or starts one.

Similarity is TF-IDF cosine over stemmed title and lead terms, with document frequencies
learnt from the stream itself, averaged over the story's articles (average link: one
loosely related article cannot drag a story off topic). A story takes at most one
article per outlet, since outlets report an event once and update in place.

The clusterer keeps its state behind `StoryIndex`, so the same code runs over MongoDB in
the service and in memory in `pressroom eval clustering`.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Protocol

Terms = Mapping[str, int]


@dataclass(frozen=True)
class ClusteringSettings:
    threshold: float = 0.25
    window: timedelta = timedelta(hours=72)
    candidate_terms: int = 12
    one_article_per_outlet: bool = True


@dataclass
class StoryMember:
    article_id: str
    source_id: str
    terms: Terms


@dataclass
class StoryCandidate:
    story_id: str
    members: list[StoryMember] = field(default_factory=list)


class StoryIndex(Protocol):
    """Where the clusterer's state lives."""

    async def document_frequencies(self, terms: Iterable[str]) -> tuple[int, dict[str, int]]:
        """Articles counted so far, and in how many of them each term occurs."""
        ...

    async def count_document(self, terms: Iterable[str]) -> None: ...

    async def candidates(self, terms: Iterable[str], since: datetime) -> list[StoryCandidate]:
        """Stories active since `since` indexed under at least one of `terms`."""
        ...


def tfidf(terms: Terms, documents: int, frequencies: Mapping[str, int]) -> dict[str, float]:
    weights = {
        term: (1.0 + math.log(count)) * math.log((documents + 1) / (frequencies.get(term, 0) + 0.5))
        for term, count in terms.items()
    }
    norm = math.sqrt(sum(w * w for w in weights.values())) or 1.0
    return {term: w / norm for term, w in weights.items()}


def cosine(a: Mapping[str, float], b: Mapping[str, float]) -> float:
    if len(a) > len(b):
        a, b = b, a
    return sum(w * b.get(term, 0.0) for term, w in a.items())


@dataclass(frozen=True)
class Match:
    story_id: str
    similarity: float


class StoryClusterer:
    def __init__(self, index: StoryIndex, settings: ClusteringSettings | None = None) -> None:
        self.index = index
        self.settings = settings or ClusteringSettings()

    async def best_story(
        self, terms: Terms, source_id: str, seen_at: datetime
    ) -> tuple[Match | None, list[str]]:
        """The story this article belongs to (None: it starts a new one) and the terms to
        index it under. Counts the article into the document frequencies on the way."""
        await self.index.count_document(terms)
        documents, frequencies = await self.index.document_frequencies(terms)
        keys = key_terms(terms, documents, frequencies, self.settings.candidate_terms)
        candidates = await self.index.candidates(keys, seen_at - self.settings.window)
        if self.settings.one_article_per_outlet:
            candidates = [c for c in candidates if all(m.source_id != source_id for m in c.members)]
        if not candidates:
            return None, keys

        member_terms = {t for c in candidates for m in c.members for t in m.terms}
        documents, frequencies = await self.index.document_frequencies(member_terms | set(terms))
        vector = tfidf(terms, documents, frequencies)
        best: Match | None = None
        for candidate in candidates:
            similarities = [
                cosine(vector, tfidf(m.terms, documents, frequencies)) for m in candidate.members
            ]
            similarity = sum(similarities) / len(similarities)
            if similarity > self.settings.threshold and (
                best is None or similarity > best.similarity
            ):
                best = Match(candidate.story_id, similarity)
        return best, keys


def key_terms(
    terms: Terms, documents: int, frequencies: Mapping[str, int], count: int
) -> list[str]:
    """The `count` terms that say most about the article: its index keys."""
    vector = tfidf(terms, documents, frequencies)
    return sorted(vector, key=vector.__getitem__, reverse=True)[:count]
