"""What the deduplicator does with one article, knowing nothing of Kafka.

1. Seen before (same canonical URL, so same article_id): a redelivery of the same event
   re-announces its story (the first announcement may have been lost in a crash); any
   other is an exact duplicate and is dropped.
2. Same normalised title and text as another article: exact duplicate, dropped.
3. Shingles nearly the same as an earlier article's (MinHash/LSH): a syndicated copy; it
   joins the original's story, marked as a copy of the original.
4. Otherwise the story clusterer puts it into the most similar recent story or a new one.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import timedelta
from typing import Literal

from services.deduplicator.clustering import ClusteringSettings, StoryClusterer, StoryMember
from services.deduplicator.minhash import MinHasher, estimated_jaccard
from services.deduplicator.settings import DeduplicatorSettings
from services.deduplicator.store import DedupStore, terms_document, terms_from_document
from services.deduplicator.text import content_fingerprint, shingles, terms
from shared.db import Document
from shared.events import ArticleFetched, StoryArticle, StoryUpdated

Decision = Literal["duplicate", "copy", "joined", "new", "redelivered"]


@dataclass(frozen=True)
class Outcome:
    decision: Decision
    story: StoryUpdated | None = None


class Deduplicator:
    def __init__(self, store: DedupStore, settings: DeduplicatorSettings) -> None:
        self.store = store
        self.settings = settings
        self.hasher = MinHasher()
        self.clusterer = StoryClusterer(
            store,
            ClusteringSettings(
                threshold=settings.story_threshold,
                window=timedelta(hours=settings.story_window_hours),
            ),
        )

    async def process(self, article: ArticleFetched) -> Outcome:
        known = await self.store.article(article.article_id)
        if known is not None:
            if known["event_id"] != str(article.event_id):
                return Outcome("duplicate")
            async with self.store.assignment_claim():
                story = await self.store.add_article(
                    known["story_id"],
                    self._member(article, terms_from_document(known["terms"])),
                    known["story_article"],
                    [],
                    known["seen_at"],
                )
            return Outcome("redelivered", self.story_event(story))

        fingerprint = content_fingerprint(article.title, article.text)
        holder = await self.store.holder_of_fingerprint(fingerprint)
        if holder not in (None, article.article_id):  # its own: a crash before remembering it
            return Outcome("duplicate")

        signature = self.hasher.signature(shingles(article.text or article.title))
        band_keys = self.hasher.band_keys(signature)
        article_terms = terms(article.title, article.text)
        seen_at = article.published_at or article.fetched_at

        async with self.store.assignment_claim():
            original = await self._original_of(signature, band_keys)
            if original is not None:
                decision: Decision = "copy"
                story_id, keys = original["story_id"], list[str]()
                await self.store.count_document(article_terms)
            else:
                match, keys = await self.clusterer.best_story(
                    article_terms, article.source_id, seen_at
                )
                decision = "joined" if match else "new"
                story_id = match.story_id if match else uuid.uuid4().hex

            story_article = self._story_article(article, original["_id"] if original else None)
            # Remembered before the story changes: a crash in between is healed by the
            # redelivery path above, which adds the article to its story exactly once.
            await self.store.remember_article(
                {
                    "_id": article.article_id,
                    "event_id": str(article.event_id),
                    "fingerprint": fingerprint,
                    "signature": signature,
                    "band_keys": band_keys,
                    "source_id": article.source_id,
                    "story_id": story_id,
                    "copy_of": original["_id"] if original else None,
                    "terms": terms_document(article_terms),
                    "story_article": story_article,
                    "seen_at": seen_at,
                }
            )
            story = await self.store.add_article(
                story_id, self._member(article, article_terms), story_article, keys, seen_at
            )
        return Outcome(decision, self.story_event(story))

    async def _original_of(self, signature: list[int], band_keys: list[str]) -> Document | None:
        best: tuple[float, Document] | None = None
        for other in await self.store.articles_in_bands(band_keys):
            similarity = estimated_jaccard(signature, other["signature"])
            if similarity >= self.settings.copy_similarity and (
                best is None or similarity > best[0]
            ):
                best = (similarity, other)
        if best is None:
            return None
        # A copy of a copy is a copy of the original.
        if best[1].get("copy_of"):
            return await self.store.article(best[1]["copy_of"]) or best[1]
        return best[1]

    @staticmethod
    def _member(article: ArticleFetched, article_terms: Mapping[str, int]) -> StoryMember:
        return StoryMember(article.article_id, article.source_id, dict(article_terms))

    def _story_article(self, article: ArticleFetched, copy_of: str | None) -> Document:
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
        ).model_dump(mode="json")

    def story_event(self, story: Document) -> StoryUpdated:
        """The story as stories.updated carries it: originals before copies, longer texts
        (more to summarise) first, capped in count."""
        articles = sorted(
            (StoryArticle.model_validate(a) for a in story["articles"]),
            key=lambda a: (a.copy_of is not None, -len(a.text)),
        )
        return StoryUpdated(
            story_id=story["_id"],
            version=story["version"],
            articles=tuple(articles[: self.settings.max_story_articles]),
            article_count=story["article_count"],
            first_seen_at=story["first_seen_at"],
        )
