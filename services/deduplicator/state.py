"""The deduplicator's working state, in memory, and its decisions about one article.

1. Seen before (same canonical URL, so same article_id): a redelivery of the same event
   re-announces its story and every other story its arrival changed (the first
   announcements may have been lost in a crash between the journal and the broker); any
   other is an exact duplicate and is dropped.
2. Same normalised title and text as another article: exact duplicate, dropped.
3. Shingles nearly the same as an earlier article's (MinHash/LSH): a syndicated copy; it
   joins the original's story, marked as a copy of the original, and follows it.
4. Otherwise the story clusterer places it (clustering.py): in a story or a new one, and
   earlier articles may change story with it (two stories become one, an article moves
   to a story that fits it better). A story left without articles is withdrawn, naming
   the story that took them.

Deciding changes nothing; `apply` does. The state is rebuilt from the journal of
assignments (journal.py) by applying them in order, so every replica that has applied
the same entries decides alike.

Memory is bounded by time: a story untouched for `retention` (by the articles' own times,
never ahead of when they were fetched) leaves memory whole, its articles with it, so a
later article can no longer join it nor be found a duplicate of them (the fetcher still
knows their URLs). The retention is at least the clusterer's window.
"""

from __future__ import annotations

import hashlib
import uuid
from array import array
from collections import Counter, defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import Literal

from services.deduplicator.clustering import (
    ClusterArticle,
    Move,
    Placement,
    StoryClusterer,
)
from services.deduplicator.embeddings import Embedding
from services.deduplicator.minhash import MinHasher, estimated_jaccard
from services.deduplicator.settings import DeduplicatorSettings
from services.deduplicator.text import fingerprint_of, normalised, shingles_of, terms
from shared.events import ArticleFetched, StoryArticle, StoryUpdated, Timeline

SWEEPS_PER_RETENTION = 24
SIGNATURES_KEPT = 4096  # ~1.2 kB each


@dataclass(frozen=True)
class Duplicate:
    """Seen before under this URL or with this very text: dropped."""


@dataclass(frozen=True)
class Redelivered:
    """This very event again: its story, and the others its arrival changed, are
    announced again as they are now."""

    story_id: str
    changed: tuple[str, ...] = ()


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
    placement: Placement | None  # none for a copy, which follows its original
    terms: dict[str, int]
    embedding: Embedding | None
    article: StoryArticle  # as stories.updated carries it; copy_of names the original
    seen_at: datetime


Decision = Duplicate | Redelivered | Assignment


@dataclass(frozen=True)
class Outcome:
    """What the service counts, and the story it announces (none for a duplicate)."""

    decision: Literal["duplicate", "copy", "joined", "new", "redelivered"]
    story: StoryUpdated | None = None
    changed: tuple[StoryUpdated, ...] = ()  # other stories the article's arrival changed

    @property
    def stories(self) -> tuple[StoryUpdated, ...]:
        """What to announce: the article's story, then the others its arrival changed."""
        return (self.story, *self.changed) if self.story else ()

    def timed(self, timeline: Timeline) -> Outcome:
        """The outcome with its stories carrying `timeline`."""
        stamp = {"timeline": timeline}
        return replace(
            self,
            story=self.story.model_copy(update=stamp) if self.story else None,
            changed=tuple(story.model_copy(update=stamp) for story in self.changed),
        )


@dataclass
class SeenArticle:
    event_id: str
    story_id: str
    signature: Sequence[int]  # an array: a quarter of the memory of a tuple of ints
    article: StoryArticle
    fingerprint: str
    changed: tuple[str, ...] = ()  # the other stories its arrival changed
    since_version: int = 0  # the version of its story that first held it there
    copies: list[str] = field(default_factory=list)


@dataclass
class Story:
    first_seen_at: datetime
    last_seen_at: datetime  # the latest time of an article that changed it
    articles: dict[str, StoryArticle] = field(default_factory=dict)
    version: int = 0
    merged_into: str | None = None  # withdrawn: its articles went there


class DedupState:
    def __init__(self, settings: DeduplicatorSettings) -> None:
        self.settings = settings
        self.hasher = MinHasher()
        self.clusterer = StoryClusterer(settings.clustering())
        self.retention = timedelta(hours=settings.retention_hours)
        self.position = 0  # journal entries applied
        self.clock: datetime | None = None  # the latest article time applied
        self.next_sweep: datetime | None = None  # when old stories are looked for next
        self.articles: dict[str, SeenArticle] = {}
        self.fingerprints: dict[str, str] = {}
        self.bands: defaultdict[str, list[str]] = defaultdict(list)
        self.stories: dict[str, Story] = {}
        # A cache, not state: a text's signature is the same whoever works it out.
        self._signatures: dict[bytes, array[int]] = {}  # by the text's digest

    def knows(self, article: ArticleFetched) -> bool:
        return article.article_id in self.articles

    def decide(self, article: ArticleFetched, embedding: Embedding | None = None) -> Decision:
        if known := self.articles.get(article.article_id):
            if known.event_id == str(article.event_id):
                return Redelivered(known.story_id, known.changed)
            return Duplicate()
        title, text = normalised(article.title), normalised(article.text)
        fingerprint = fingerprint_of(title, text)
        if fingerprint in self.fingerprints:
            return Duplicate()

        signature = self._signature(text if article.text else title)
        article_terms = dict(terms(article.title, article.text))
        # A feed's date in the future is no later than the fetch.
        seen_at = min(article.published_at or article.fetched_at, article.fetched_at)
        placement: Placement | None = None
        decision: Literal["copy", "joined", "new"]
        if original := self._original_of(signature):
            decision, story_id = "copy", self.articles[original].story_id
        else:
            clustered = ClusterArticle(
                article.article_id, article.source_id, article_terms, seen_at, embedding
            )
            placement = self.clusterer.place(clustered, lambda: uuid.uuid4().hex)
            story_id = placement.story_id
            decision = "joined" if story_id in self.stories else "new"
        return Assignment(
            decision=decision,
            article_id=article.article_id,
            event_id=str(article.event_id),
            fingerprint=fingerprint,
            signature=signature,
            story_id=story_id,
            placement=placement,
            terms=article_terms,
            embedding=embedding if placement else None,
            article=self._story_article(article, copy_of=original),
            seen_at=seen_at,
        )

    def _signature(self, normal_text: str) -> tuple[int, ...]:
        """The MinHash signature of a normalised text. A text met lately gives its
        signature again: a syndicated copy's text is often its original's, word for word."""
        key = hashlib.blake2b(normal_text.encode(), digest_size=16).digest()
        if (known := self._signatures.get(key)) is None:
            known = array("q", self.hasher.signature(shingles_of(normal_text)))
            self._signatures[key] = known
            if len(self._signatures) > SIGNATURES_KEPT:
                del self._signatures[next(iter(self._signatures))]  # the oldest
        return tuple(known)

    def apply(self, assignment: Assignment) -> None:
        a = assignment
        self.position += 1
        seen = SeenArticle(
            a.event_id,
            a.story_id,
            array("q", a.signature),
            a.article,
            a.fingerprint,
            changed_stories(a),
        )
        self.articles[a.article_id] = seen
        self.fingerprints.setdefault(a.fingerprint, a.article_id)
        for key in self.hasher.band_keys(a.signature):
            self.bands[key].append(a.article_id)
        story = self.stories.setdefault(a.story_id, Story(a.seen_at, a.seen_at))
        story.articles[a.article_id] = a.article
        story.version += 1
        story.last_seen_at = max(story.last_seen_at, a.seen_at)
        if a.article.copy_of is not None:
            self.articles[a.article.copy_of].copies.append(a.article_id)
        arrived = [a.article_id]
        if a.placement is None:
            self.clusterer.count_document(a.terms)
        else:
            clustered = ClusterArticle(
                a.article_id, a.article.source_id, a.terms, a.seen_at, a.embedding
            )
            self.clusterer.add(clustered, a.placement)
            for move in a.placement.moves:
                arrived += self._move(move, a.seen_at)
            for story_id in seen.changed:
                changed = self.stories[story_id]
                changed.version += 1
                changed.last_seen_at = max(changed.last_seen_at, a.seen_at)
                if not changed.articles:
                    changed.merged_into = merged_into(story_id, a.placement.moves)
        for article_id in arrived:
            moved = self.articles[article_id]
            moved.since_version = self.stories[moved.story_id].version
        if self.clock is None or a.seen_at > self.clock:
            self.clock = a.seen_at
        if self.next_sweep is None or self.clock >= self.next_sweep:
            self._forget_before(self.clock - self.retention)
            self.next_sweep = self.clock + self.retention / SWEEPS_PER_RETENTION

    def _forget_before(self, horizon: datetime) -> None:
        """Stories untouched since `horizon` leave memory, with their articles."""
        for story_id in [i for i, s in self.stories.items() if s.last_seen_at < horizon]:
            for article_id in self.stories.pop(story_id).articles:
                self._forget_article(article_id)

    def counted_terms(self, article_id: str) -> Mapping[str, int]:
        """The terms an article added to the document frequencies: the clusterer keeps a
        clustered article's; a copy's are read again from its title and lead (copies
        outnumber originals in a backfill: keeping theirs cost ~10 kB each)."""
        if clustered := self.clusterer.articles.get(article_id):
            return clustered.terms
        article = self.articles[article_id].article
        return terms(article.title, article.text)

    def _forget_article(self, article_id: str) -> None:
        counted = self.counted_terms(article_id)
        seen = self.articles.pop(article_id)
        if self.fingerprints.get(seen.fingerprint) == article_id:
            del self.fingerprints[seen.fingerprint]
        for key in self.hasher.band_keys(seen.signature):
            band = self.bands[key]
            band.remove(article_id)
            if not band:
                del self.bands[key]
        self.clusterer.forget(article_id)
        self.clusterer.uncount_document(counted)

    def _move(self, move: Move, seen_at: datetime) -> list[str]:
        """The article, and its copies with it, change story (a new one, when a story
        splits); the articles that moved."""
        original = self.articles[move.article_id]
        to_story = self.stories.setdefault(move.to_story, Story(seen_at, seen_at))
        moved = [move.article_id, *original.copies]
        for article_id in moved:
            seen = self.articles[article_id]
            del self.stories[seen.story_id].articles[article_id]
            to_story.articles[article_id] = seen.article
            seen.story_id = move.to_story
        return moved

    def outcome(self, decision: Decision) -> Outcome:
        """The outcome of a decision; an assignment's once it is applied."""
        if isinstance(decision, Duplicate):
            return Outcome("duplicate")
        if isinstance(decision, Redelivered):
            return Outcome(
                "redelivered",
                self.story_event(decision.story_id),
                tuple(self.story_event(story_id) for story_id in decision.changed),
            )
        return Outcome(
            decision.decision,
            self.story_event(decision.story_id),
            tuple(self.story_event(story_id) for story_id in changed_stories(decision)),
        )

    def story_event(self, story_id: str) -> StoryUpdated:
        """The story as stories.updated carries it: originals before copies, longer texts
        (more to summarise) first, capped in count. A withdrawn story carries none."""
        story = self.stories[story_id]
        articles = sorted(
            story.articles.values(), key=lambda a: (a.copy_of is not None, -len(a.text))
        )
        return StoryUpdated(
            story_id=story_id,
            version=story.version,
            articles=tuple(articles[: self.settings.max_story_articles]),
            article_count=len(articles),
            first_seen_at=story.first_seen_at,
            merged_into=story.merged_into,
        )

    def _original_of(self, signature: Sequence[int], most: int = 50) -> str | None:
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
        return self.articles[best[1]].article.copy_of or best[1]

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
            fetched_at=article.fetched_at,
        )


def changed_stories(assignment: Assignment) -> tuple[str, ...]:
    """The stories other than its own that an assignment changes, in a stable order."""
    moves = assignment.placement.moves if assignment.placement else ()
    found = dict.fromkeys(s for move in moves for s in (move.from_story, move.to_story))
    found.pop(assignment.story_id, None)
    return tuple(found)


def merged_into(story_id: str, moves: tuple[Move, ...]) -> str:
    """Where most of the articles that left `story_id` went."""
    destinations = Counter(move.to_story for move in moves if move.from_story == story_id)
    return destinations.most_common(1)[0][0]
