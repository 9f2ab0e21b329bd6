"""`pressroom eval clustering`: replays a labelled JSONL stream through the clusterer.

No broker and no database: the deduplicator's own StoryClusterer, in arrival order by
`published` (or shuffled), and the result is scored against the labels.
"""

from __future__ import annotations

import asyncio
import itertools
import random
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from services.deduplicator.clustering import ClusterArticle, ClusteringSettings, StoryClusterer
from services.deduplicator.embeddings import Embedding, EmbeddingsClient, embedded_text
from services.deduplicator.scoring import ClusteringScores, score_clustering
from services.deduplicator.settings import DeduplicatorSettings
from services.deduplicator.text import terms
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
) -> ClusteringScores:
    return asyncio.run(replay(path, shuffle_seed, settings or DeduplicatorSettings()))


async def replay(
    path: Path, shuffle_seed: int | None, settings: DeduplicatorSettings
) -> ClusteringScores:
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
    predicted = cluster_stream(articles, settings.clustering(), vectors)
    return score_clustering({a.id: a.cluster for a in articles}, predicted)
