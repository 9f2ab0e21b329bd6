"""A StoryIndex held in memory: for offline evaluation, where no database is wanted."""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable
from datetime import datetime

from services.deduplicator.clustering import StoryCandidate, StoryMember


class MemoryStoryIndex:
    def __init__(self) -> None:
        self.documents = 0
        self.frequencies: Counter[str] = Counter()
        self.stories: dict[str, list[StoryMember]] = {}
        self.last_active: dict[str, datetime] = {}
        self.by_term: defaultdict[str, set[str]] = defaultdict(set)

    async def document_frequencies(self, terms: Iterable[str]) -> tuple[int, dict[str, int]]:
        return self.documents, {t: self.frequencies[t] for t in terms}

    async def count_document(self, terms: Iterable[str]) -> None:
        self.documents += 1
        self.frequencies.update(set(terms))

    async def candidates(self, terms: Iterable[str], since: datetime) -> list[StoryCandidate]:
        story_ids = set().union(*(self.by_term.get(t, set()) for t in terms))
        return [
            StoryCandidate(story_id, list(self.stories[story_id]))
            for story_id in sorted(story_ids)
            if self.last_active[story_id] >= since
        ]

    async def add_member(
        self, story_id: str, member: StoryMember, keys: list[str], seen_at: datetime
    ) -> None:
        self.stories.setdefault(story_id, []).append(member)
        self.last_active[story_id] = max(seen_at, self.last_active.get(story_id, seen_at))
        for term in keys:
            self.by_term[term].add(story_id)
