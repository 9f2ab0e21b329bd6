"""Real articles for the benchmark, read from ../shared/eval (never copied here)."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import replace
from datetime import timedelta

from services.deduplicator.evaluation import fetched_article, read_labelled
from services.demo.feed_server import DEFAULT_DATA, DemoArticle, read_articles
from shared.events import ArticleFetched, StoryUpdated, article_id_for
from tests.factories import make_story


def demo_articles() -> list[DemoArticle]:
    if not DEFAULT_DATA.is_file():
        raise SystemExit(f"bench: the eval data is not beside the checkout ({DEFAULT_DATA})")
    return read_articles(DEFAULT_DATA)


def backfill(count: int) -> list[DemoArticle]:
    """`count` articles: the real ones, then republished editions of them (same text, the
    title marked as an update, a new URL), which the deduplicator takes as syndicated
    copies and adds to the original's story."""
    real = demo_articles()
    editions = [
        replace(
            article,
            id=f"{article.id}~{edition}",
            title=f"{article.title} (update {edition})",
            published=article.published + timedelta(minutes=edition),
        )
        for edition in range(1, count // len(real) + 1)
        for article in real
    ]
    return [*real, *editions][:count]


def fetched(article: DemoArticle) -> ArticleFetched:
    """The article as the fetcher would emit it."""
    return fetched_article(
        article.outlet,
        article.slug,
        article.title,
        article.text or article.title,
        article.published,
    )


def stories() -> list[StoryUpdated]:
    """One story per labelled cluster of the eval file, as the deduplicator emits them."""
    clusters: defaultdict[str, list[ArticleFetched]] = defaultdict(list)
    by_key = {(a.title, a.outlet): a for a in demo_articles()}
    for labelled in read_labelled(DEFAULT_DATA):
        clusters[labelled.cluster].append(fetched(by_key[(labelled.title, labelled.source)]))
    return [
        make_story(*articles, story_id=article_id_for(cluster))
        for cluster, articles in sorted(clusters.items())
    ]
