"""`pressroom eval clustering`: replays a labelled JSONL stream through the deduplicator's
whole decision, as the service makes it: exact duplicates dropped, syndicated copies
joined to their original, the rest placed by the story clusterer.

No broker and no database: the deduplicator's own state, in arrival order by `published`
(or shuffled), and the result is scored against the labels. A dropped duplicate counts as
a member of the story of the article it duplicates, where a reader finds its content.
"""

from __future__ import annotations

import asyncio
import itertools
import random
from collections import Counter
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from services.deduplicator.clustering import ClusterArticle, ClusteringSettings, StoryClusterer
from services.deduplicator.embeddings import Embedding, EmbeddingsClient, embedded_text
from services.deduplicator.scoring import ClusteringScores, score_clustering
from services.deduplicator.settings import DeduplicatorSettings
from services.deduplicator.state import Assignment, DedupState, Duplicate
from services.deduplicator.text import content_fingerprint, terms
from services.fetcher.sources import source_id_for
from shared.events import ArticleFetched, article_id_for
from shared.jsonl import read_jsonl


@dataclass(frozen=True)
class LabelledArticle:
    id: str
    cluster: str
    title: str
    text: str
    source: str
    published: datetime


def read_labelled(path: Path) -> list[LabelledArticle]:
    """The articles of `path`. An id given to more than one line (the dev file has three
    "basil-empty" rows in three clusters) gets a "#n" suffix: each line is one article."""
    times_seen: Counter[str] = Counter()

    def build(row: dict[str, Any]) -> LabelledArticle:
        given = str(row["id"])
        times_seen[given] += 1
        return LabelledArticle(
            id=given if times_seen[given] == 1 else f"{given}#{times_seen[given]}",
            cluster=str(row["cluster"]),
            title=row["title"],
            text=row.get("text") or "",
            source=row["source"],
            published=datetime.fromisoformat(row["published"]),
        )

    return read_jsonl(path, build, "a labelled article")


def cluster_stream(
    articles: list[LabelledArticle],
    settings: ClusteringSettings | None = None,
    embeddings: Mapping[str, Embedding] | None = None,
) -> dict[str, str]:
    """Article id -> story id, once the articles have been clustered online in the order
    given (an article can still change story as later ones arrive, as in the service)."""
    clusterer = StoryClusterer(settings)
    story_ids = (f"story-{n}" for n in itertools.count())
    for labelled in articles:
        article = ClusterArticle(
            labelled.id,
            labelled.source,
            terms(labelled.title, labelled.text),
            labelled.published,
            embeddings.get(labelled.id) if embeddings else None,
        )
        clusterer.add(article, clusterer.place(article, lambda: next(story_ids)))
    return dict(clusterer.story_of)


@dataclass(frozen=True)
class ReplayScores(ClusteringScores):
    exact_duplicates: int
    copies: int


def fetched_article(
    outlet: str, page: str, title: str, text: str, published: datetime
) -> ArticleFetched:
    """An article as the fetcher emits it from page `page` of `outlet`."""
    source_id = source_id_for(outlet)
    url = f"https://{source_id}.example/{page}"
    return ArticleFetched(
        article_id=article_id_for(url),
        canonical_url=url,
        url=url,
        source_id=source_id,
        source_name=outlet[:200] or source_id,
        title=title[:1000] or text[:100] or page,
        text=text,
        published_at=published,
    )


def decide_stream(
    articles: list[LabelledArticle],
    settings: DeduplicatorSettings,
    embeddings: Mapping[str, Embedding] | None = None,
) -> tuple[dict[str, str], Counter[str]]:
    """Article id -> story id, and how many of each decision, once every article has been
    decided in the order given, as the deduplicator service decides."""
    state = DedupState(settings)
    fetched = {
        a.id: fetched_article(a.source, a.id, a.title, a.text, a.published) for a in articles
    }
    duplicate_of: dict[str, str] = {}
    decisions: Counter[str] = Counter()
    for labelled in articles:
        article = fetched[labelled.id]
        decision = state.decide(article, embeddings.get(labelled.id) if embeddings else None)
        if isinstance(decision, Duplicate):
            decisions["duplicate"] += 1
            fingerprint = content_fingerprint(article.title, article.text)
            duplicate_of[labelled.id] = state.fingerprints.get(fingerprint, article.article_id)
        elif isinstance(decision, Assignment):
            decisions[decision.decision] += 1
            state.apply(decision)
    story_of = {}
    for labelled in articles:
        article_id = duplicate_of.get(labelled.id, fetched[labelled.id].article_id)
        story_of[labelled.id] = state.articles[article_id].story_id
    return story_of, decisions


async def embed_all(
    articles: list[LabelledArticle], client: EmbeddingsClient, batch: int = 32
) -> dict[str, Embedding]:
    """Every article's embedding, asked in batches (the service asks one at a time)."""
    found: dict[str, Embedding] = {}
    for start in range(0, len(articles), batch):
        chunk = articles[start : start + batch]
        vectors = await client.embed([embedded_text(a.title, a.text) for a in chunk])
        found.update(zip((a.id for a in chunk), vectors, strict=True))
    return found


def evaluate(
    path: Path, shuffle_seed: int | None = None, settings: DeduplicatorSettings | None = None
) -> ReplayScores:
    return asyncio.run(replay(path, shuffle_seed, settings or DeduplicatorSettings()))


async def replay(
    path: Path, shuffle_seed: int | None, settings: DeduplicatorSettings
) -> ReplayScores:
    """The articles of `path` by `published` (or shuffled), clustered with the deduplicator's
    settings, embeddings included when an endpoint is set; scored against their labels."""
    articles = read_labelled(path)
    if shuffle_seed is None:
        articles.sort(key=lambda a: a.published)
    else:
        random.Random(shuffle_seed).shuffle(articles)
    vectors = None
    if embeddings := settings.embeddings_client():
        try:
            vectors = await embed_all(articles, embeddings)
        finally:
            await embeddings.close()
    predicted, decisions = decide_stream(articles, settings, vectors)
    scores = score_clustering({a.id: a.cluster for a in articles}, predicted)
    return ReplayScores(
        **asdict(scores), exact_duplicates=decisions["duplicate"], copies=decisions["copy"]
    )
