"""Online story clustering: each article joins the most similar recent story, or starts one.

Similarity is TF-IDF cosine over stemmed title and lead terms, with document frequencies
learnt from the stream itself, averaged over the story's articles (average link: one
loosely related article cannot drag a story off topic). A story takes at most one
article per outlet, since outlets report an event once and update in place.

The clusterer's state is in memory: the deduplicator rebuilds it from its journal, and
`pressroom eval clustering` builds it from nothing, through the same code.
"""

from __future__ import annotations

import math
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta

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
class ClusteredStory:
    last_active: datetime
    members: list[StoryMember] = field(default_factory=list)


@dataclass(frozen=True)
class Match:
    story_id: str
    similarity: float


@dataclass(frozen=True)
class TermWeights:
    """TF-IDF weights from `documents` articles, of which `frequencies[t]` hold term t;
    the terms in `counted` are counted once more (the article being placed)."""

    documents: int
    frequencies: Mapping[str, int]
    counted: frozenset[str] = frozenset()

    def vector(self, terms: Terms) -> dict[str, float]:
        weights = {
            term: (1.0 + math.log(count))
            * math.log(
                (self.documents + 1)
                / (self.frequencies.get(term, 0) + (term in self.counted) + 0.5)
            )
            for term, count in terms.items()
        }
        norm = math.sqrt(sum(w * w for w in weights.values())) or 1.0
        return {term: w / norm for term, w in weights.items()}


def cosine(a: Mapping[str, float], b: Mapping[str, float]) -> float:
    if len(a) > len(b):
        a, b = b, a
    return sum(w * b.get(term, 0.0) for term, w in a.items())


class StoryClusterer:
    def __init__(self, settings: ClusteringSettings | None = None) -> None:
        self.settings = settings or ClusteringSettings()
        self.documents = 0
        self.frequencies: Counter[str] = Counter()
        self.stories: dict[str, ClusteredStory] = {}
        self.stories_by_term: defaultdict[str, set[str]] = defaultdict(set)

    def best_story(
        self, terms: Terms, source_id: str, seen_at: datetime
    ) -> tuple[Match | None, list[str]]:
        """The story this article belongs to (None: it starts a new one) and the terms to
        index it under, weighing terms as if the article were counted already. Changes
        nothing: `add` does, once the decision stands."""
        weights = TermWeights(self.documents + 1, self.frequencies, frozenset(terms))
        vector = weights.vector(terms)
        keys = sorted(vector, key=vector.__getitem__, reverse=True)[: self.settings.candidate_terms]
        best: Match | None = None
        for story in self._candidates(keys, seen_at - self.settings.window, source_id):
            members = self.stories[story].members
            similarity = sum(cosine(vector, weights.vector(m.terms)) for m in members) / len(
                members
            )
            if similarity > self.settings.threshold and (
                best is None or similarity > best.similarity
            ):
                best = Match(story, similarity)
        return best, keys

    def _candidates(self, keys: Iterable[str], since: datetime, source_id: str) -> list[str]:
        """Stories active since `since`, indexed under one of `keys`, without an article
        from this outlet (when one per outlet is the rule)."""
        found = set().union(*(self.stories_by_term.get(key, set()) for key in keys))
        return [
            story_id
            for story_id in sorted(found)
            if self.stories[story_id].last_active >= since
            and not (
                self.settings.one_article_per_outlet
                and any(m.source_id == source_id for m in self.stories[story_id].members)
            )
        ]

    def add(
        self, story_id: str, member: StoryMember, keys: Iterable[str], seen_at: datetime
    ) -> None:
        """The article joins (or starts) the story, indexed under `keys`."""
        self.count_document(member.terms)
        story = self.stories.setdefault(story_id, ClusteredStory(seen_at))
        story.members.append(member)
        story.last_active = max(story.last_active, seen_at)
        for key in keys:
            self.stories_by_term[key].add(story_id)

    def add_copy(self, story_id: str, terms: Terms, seen_at: datetime) -> None:
        """A copy of an article of the story: counted in the document frequencies and
        keeping the story active, but not a member (its terms are its original's)."""
        self.count_document(terms)
        if story := self.stories.get(story_id):
            story.last_active = max(story.last_active, seen_at)

    def count_document(self, terms: Iterable[str]) -> None:
        self.documents += 1
        self.frequencies.update(set(terms))
