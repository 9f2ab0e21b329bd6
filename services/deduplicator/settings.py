from __future__ import annotations

from pydantic import Field

from shared.settings import ServiceSettings


class DeduplicatorSettings(ServiceSettings):
    http_port: int = Field(8002, ge=0, le=65535, description="Port of /metrics, /health, /ready.")
    story_threshold: float = Field(
        0.25,
        gt=0,
        lt=1,
        description="Least TF-IDF similarity to join a story (tuned on the dev data).",
    )
    story_window_hours: float = Field(
        72, gt=0, description="How long a story takes new articles after its last one."
    )
    copy_similarity: float = Field(
        0.8,
        gt=0,
        le=1,
        description="Least shingle Jaccard similarity to count as a copy of another article.",
    )
    max_story_articles: int = Field(
        20, ge=1, le=50, description="Articles a stories.updated event carries at most."
    )
    max_article_chars: int = Field(
        6000, ge=200, le=50_000, description="Text kept per article in stories.updated."
    )
