"""Events for tests, with every required field filled in."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from shared.events import (
    ArticleFetched,
    GroundedText,
    SourceCredit,
    StoryArticle,
    StorySummarized,
    StoryUpdated,
    article_id_for,
)


def make_article(
    url: str = "https://example.com/news/1",
    *,
    source_id: str = "example",
    title: str = "A title",
    text: str = "Some text.",
    **fields: Any,
) -> ArticleFetched:
    """An article as the fetcher emits it, its ids derived from `url`."""
    fields.setdefault("published_at", datetime(2021, 8, 10, 15, tzinfo=UTC))
    return ArticleFetched(
        article_id=article_id_for(url),
        canonical_url=url,
        url=url,
        source_id=source_id,
        source_name=fields.pop("source_name", source_id.title()),
        title=title,
        text=text,
        **fields,
    )


def story_article(article: ArticleFetched, **fields: Any) -> StoryArticle:
    """The article as the deduplicator passes it on in a story."""
    shared = article.model_dump(include=set(StoryArticle.model_fields))
    return StoryArticle(**{**shared, **fields})


def make_story(
    *articles: ArticleFetched, version: int = 1, story_id: str = "5" * 32
) -> StoryUpdated:
    """A story of these articles, at this version."""
    return StoryUpdated(
        story_id=story_id,
        version=version,
        articles=tuple(story_article(a) for a in articles),
        article_count=len(articles),
        first_seen_at=datetime(2021, 8, 10, 15, tzinfo=UTC),
    )


def make_withdrawal(*, version: int, merged_into: str, story_id: str = "5" * 32) -> StoryUpdated:
    """The story withdrawn at this version: its articles joined `merged_into`."""
    return StoryUpdated(
        story_id=story_id,
        version=version,
        articles=(),
        article_count=0,
        first_seen_at=datetime(2021, 8, 10, 15, tzinfo=UTC),
        merged_into=merged_into,
    )


def make_summary(
    story_id: str = "5" * 32,
    *,
    version: int = 1,
    headline: str = "Storm closes Oresund bridge for 14 hours",
    outlets: tuple[str, ...] = ("Harbour News", "Nordic Daily"),
    category: str = "World",
    **fields: Any,
) -> StorySummarized:
    """A summary citing one article per outlet, every sentence grounded in the first."""
    sources = tuple(
        SourceCredit(
            article_id=article_id_for(f"https://{outlet.lower().replace(' ', '-')}.example/s"),
            source_name=outlet,
            url=f"https://{outlet.lower().replace(' ', '-')}.example/s",
            title=f"{outlet}: {headline}",
        )
        for outlet in outlets
    )
    first = (sources[0].article_id,)
    points = fields.pop(
        "key_points",
        (
            "A storm closed the Oresund bridge for 14 hours on Tuesday.",
            "About 2,300 lorries waited at both ends of the bridge.",
        ),
    )
    return StorySummarized(
        story_id=story_id,
        version=version,
        headline=headline,
        key_points=tuple(GroundedText(text=p, article_ids=first) for p in points),
        summary=tuple(GroundedText(text=p, article_ids=first) for p in points),
        category=category,
        sources=sources,
        published_at=datetime(2021, 8, 10, 9, tzinfo=UTC),
        summarizer="extractive",
        **fields,
    )


def write_labelled(path: Path, rows: list[tuple[str, str, str, str, str]]) -> Path:
    """A labelled JSONL file, as `pressroom eval clustering` reads it, of (id, cluster,
    title, text, source) rows published an hour apart."""
    lines = (
        json.dumps(
            {
                "id": id,
                "cluster": cluster,
                "title": title,
                "text": text,
                "source": source,
                "published": f"2021-06-23T{10 + n:02d}:00:00+00:00",
            }
        )
        for n, (id, cluster, title, text, source) in enumerate(rows)
    )
    path.write_text("\n".join(lines))
    return path
