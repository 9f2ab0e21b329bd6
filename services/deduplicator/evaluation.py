"""`pressroom eval clustering`: replays a labelled JSONL stream through the clusterer.

No broker and no database: the deduplicator's own StoryClusterer, in arrival order by
`published` (or shuffled), and the result is scored against the labels.
"""

from __future__ import annotations

import random
from collections import Counter
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from services.deduplicator.clustering import ClusteringSettings, StoryClusterer, StoryMember
from services.deduplicator.scoring import ClusteringScores, score_clustering
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
    articles: list[LabelledArticle], settings: ClusteringSettings | None = None
) -> dict[str, str]:
    """Article id -> story id, clustering the articles online in the order given."""
    clusterer = StoryClusterer(settings)
    story_of: dict[str, str] = {}
    for article in articles:
        article_terms = terms(article.title, article.text)
        match, keys = clusterer.best_story(article_terms, article.source, article.published)
        story_id = match.story_id if match else f"story-{len(story_of)}"
        member = StoryMember(article.id, article.source, article_terms)
        clusterer.add(story_id, member, keys, article.published)
        story_of[article.id] = story_id
    return story_of


def evaluate(
    path: Path, shuffle_seed: int | None = None, settings: ClusteringSettings | None = None
) -> ClusteringScores:
    articles = read_labelled(path)
    if shuffle_seed is None:
        articles.sort(key=lambda a: a.published)
    else:
        random.Random(shuffle_seed).shuffle(articles)
    predicted = cluster_stream(articles, settings)
    return score_clustering({a.id: a.cluster for a in articles}, predicted)
