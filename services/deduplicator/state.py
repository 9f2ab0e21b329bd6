"""The deduplicator's working state, in memory, and its decisions about one article.

1. Seen before (same canonical URL, so same article_id): a redelivery of the same event
   re-announces its story (the first announcement may have been lost in a crash); any
   other is an exact duplicate and is dropped.
2. Same normalised title and text as another article: exact duplicate, dropped.
3. Shingles nearly the same as an earlier article's (MinHash/LSH): a syndicated copy; it
   joins the original's story, marked as a copy of the original.
4. Otherwise the story clusterer puts it into the most similar recent story or a new one.

Deciding changes nothing; `apply` does. The state is rebuilt from the journal of
assignments (journal.py) by applying them in order, so every replica that has applied
the same entries decides alike.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Literal

from services.deduplicator.clustering import ClusteringSettings, StoryClusterer, StoryMember
from services.deduplicator.minhash import MinHasher, estimated_jaccard
from services.deduplicator.settings import DeduplicatorSettings
from services.deduplicator.text import content_fingerprint, shingles, terms
from shared.events import ArticleFetched, StoryArticle, StoryUpdated


@dataclass(frozen=True)
class Duplicate:
    """Seen before under this URL or with this very text: dropped."""


@dataclass(frozen=True)
class Redelivered:
    """This very event again: its story is announced again, unchanged."""

    story_id: str


@dataclass(frozen=True)
class Assignment:
    """The article joins a story: the one decision that changes the state, and what the
    journal stores."""

    decision: Literal["copy", "joined", "new"]
    article_id: str
    event_id: str
    fingerprint: str
    signature: tuple[int, ...]
    story_id: str
    index_keys: tuple[str, ...]  # the clusterer's keys for the story; none for a copy
    terms: dict[str, int]
    article: StoryArticle  # as stories.updated carries it; copy_of names the original
    seen_at: datetime


Decision = Duplicate | Redelivered | Assignment


@dataclass(frozen=True)
class Outcome:
    """What the service counts, and the story it announces (none for a duplicate)."""

    decision: Literal["duplicate", "copy", "joined", "new", "redelivered"]
    story: StoryUpdated | None = None


@dataclass(frozen=True)
class SeenArticle:
    event_id: str
    story_id: str
    signature: tuple[int, ...]
    copy_of: str | None


@dataclass
class Story:
    first_seen_at: datetime
    articles: list[StoryArticle] = field(default_factory=list)


class DedupState:
    def __init__(self, settings: DeduplicatorSettings) -> None:
        self.settings = settings
        self.hasher = MinHasher()
        self.clusterer = StoryClusterer(
            ClusteringSettings(
                threshold=settings.story_threshold,
                window=timedelta(hours=settings.story_window_hours),
            )
        )
        self.position = 0  # journal entries applied
        self.articles: dict[str, SeenArticle] = {}
        self.fingerprints: dict[str, str] = {}
        self.bands: defaultdict[str, list[str]] = defaultdict(list)
        self.stories: dict[str, Story] = {}

    def decide(self, article: ArticleFetched) -> Decision:
        if known := self.articles.get(article.article_id):
            if known.event_id == str(article.event_id):
                return Redelivered(known.story_id)
            return Duplicate()
        fingerprint = content_fingerprint(article.title, article.text)
        if fingerprint in self.fingerprints:
            return Duplicate()

        signature = tuple(self.hasher.signature(shingles(article.text or article.title)))
        article_terms = dict(terms(article.title, article.text))
        seen_at = article.published_at or article.fetched_at
        decision: Literal["copy", "joined", "new"]
        keys: tuple[str, ...]
        if original := self._original_of(signature):
            decision, story_id, keys = "copy", self.articles[original].story_id, ()
        else:
            match, found = self.clusterer.best_story(article_terms, article.source_id, seen_at)
            decision = "joined" if match else "new"
            story_id, keys = (match.story_id if match else uuid.uuid4().hex), tuple(found)
        return Assignment(
            decision=decision,
            article_id=article.article_id,
            event_id=str(article.event_id),
            fingerprint=fingerprint,
            signature=signature,
            story_id=story_id,
            index_keys=keys,
            terms=article_terms,
            article=self._story_article(article, copy_of=original),
            seen_at=seen_at,
        )

    def apply(self, assignment: Assignment) -> None:
        a = assignment
        self.position += 1
        self.articles[a.article_id] = SeenArticle(
            a.event_id, a.story_id, a.signature, a.article.copy_of
        )
        self.fingerprints.setdefault(a.fingerprint, a.article_id)
        for key in self.hasher.band_keys(a.signature):
            self.bands[key].append(a.article_id)
        self.stories.setdefault(a.story_id, Story(a.seen_at)).articles.append(a.article)
        if a.article.copy_of is None:
            member = StoryMember(a.article_id, a.article.source_id, a.terms)
            self.clusterer.add(a.story_id, member, a.index_keys, a.seen_at)
        else:
            self.clusterer.add_copy(a.story_id, a.terms, a.seen_at)

    def outcome(self, decision: Decision) -> Outcome:
        """The outcome of a decision; an assignment's once it is applied."""
        if isinstance(decision, Duplicate):
            return Outcome("duplicate")
        if isinstance(decision, Redelivered):
            return Outcome("redelivered", self.story_event(decision.story_id))
        return Outcome(decision.decision, self.story_event(decision.story_id))

    def story_event(self, story_id: str) -> StoryUpdated:
        """The story as stories.updated carries it: originals before copies, longer texts
        (more to summarise) first, capped in count."""
        story = self.stories[story_id]
        articles = sorted(story.articles, key=lambda a: (a.copy_of is not None, -len(a.text)))
        return StoryUpdated(
            story_id=story_id,
            version=len(story.articles),
            articles=tuple(articles[: self.settings.max_story_articles]),
            article_count=len(story.articles),
            first_seen_at=story.first_seen_at,
        )

    def _original_of(self, signature: tuple[int, ...], most: int = 50) -> str | None:
        """The earlier article this one is a copy of, if any (a copy of a copy is a copy
        of the original)."""
        keys = self.hasher.band_keys(signature)
        near = list(dict.fromkeys(i for key in keys for i in self.bands.get(key, ())))[:most]
        best: tuple[float, str] | None = None
        for article_id in near:
            similarity = estimated_jaccard(signature, self.articles[article_id].signature)
            if similarity >= self.settings.copy_similarity and (
                best is None or similarity > best[0]
            ):
                best = (similarity, article_id)
        if best is None:
            return None
        return self.articles[best[1]].copy_of or best[1]

    def _story_article(self, article: ArticleFetched, copy_of: str | None) -> StoryArticle:
        return StoryArticle(
            article_id=article.article_id,
            canonical_url=article.canonical_url,
            source_id=article.source_id,
            source_name=article.source_name,
            title=article.title,
            text=article.text[: self.settings.max_article_chars],
            published_at=article.published_at,
            language=article.language,
            image_url=article.image_url,
            category_hint=article.category_hint,
            copy_of=copy_of,
        )
