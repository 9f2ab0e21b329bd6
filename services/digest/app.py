"""Digest, the example extension: posts.published -> a daily digest, served at /digest.

A new service in a screenful: the shared broker factory (dead letters, metrics, commits
after the effect), its own consumer group, the shared event model, the shared service app.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from faststream.asgi import AsgiFastStream, AsgiResponse, get
from prometheus_client import Counter

from services.digest.book import DigestBook, render_digest
from services.digest.settings import DigestSettings
from shared.broker import make_broker
from shared.db import Database
from shared.events import PostPublished
from shared.service import make_service_app
from shared.topics import POSTS_PUBLISHED

SERVICE = "digest"
SETTINGS = DigestSettings  # what create_app takes (services/registry.py)

posts_total = Counter("pressroom_digest_posts_total", "Posts recorded in the daily digest.")


def create_app(settings: DigestSettings) -> AsgiFastStream:
    broker = make_broker(settings, SERVICE)
    database = Database.from_settings(settings)
    book = DigestBook(database)

    @broker.subscriber(
        POSTS_PUBLISHED,
        group_id=settings.group(SERVICE),
        auto_offset_reset="earliest",
        title="posts.published:digest",
        description="Posts created, updated or withdrawn: the day's digest follows. Key: story_id.",
    )
    async def on_post(post: PostPublished) -> None:
        await book.add(post)
        posts_total.inc()

    @get(include_in_schema=False)
    async def digest(scope: Any) -> AsgiResponse:
        query = dict(
            part.split("=", 1) for part in scope["query_string"].decode().split("&") if "=" in part
        )
        try:
            day = (
                date.fromisoformat(query.get("date", ""))
                if "date" in query
                else datetime.now(UTC).date()
            )
        except ValueError:
            return AsgiResponse(b"date must be YYYY-MM-DD\n", 400)
        text = render_digest(day, await book.day(day), settings.site_url)
        return AsgiResponse(
            text.encode(), 200, headers={"content-type": "text/plain; charset=utf-8"}
        )

    return make_service_app(
        broker,
        service=SERVICE,
        settings=settings,
        database=database,
        extra_routes=[("/digest", digest)],
    )
