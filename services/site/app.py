"""The public site: server-rendered pages, feeds and a JSON API over MongoDB `posts`.

It subscribes to posts.published (every replica sees every event: no consumer group)
only to invalidate the cached pages a post changes, so a new or updated post shows at once.
Views are counted in memory and written in bulk every `views_flush_seconds`.
"""

from __future__ import annotations

from faststream.asgi import AsgiFastStream
from faststream.middlewares import AckPolicy

from services.site.cache import PageCache
from services.site.pages import Site
from services.site.posts import PostReader
from services.site.routes import make_pages
from services.site.settings import SiteSettings
from services.site.views import ViewCounter
from shared.broker import make_broker
from shared.db import Database
from shared.events import PostPublished
from shared.service import make_service_app
from shared.topics import POSTS_PUBLISHED
from shared.tracing import traced_pages

SERVICE = "site"
SETTINGS = SiteSettings  # what create_app takes (services/registry.py)


def create_app(settings: SiteSettings) -> AsgiFastStream:
    broker = make_broker(settings, SERVICE)
    database = Database.from_settings(settings)
    cache = PageCache(settings.page_cache_seconds, settings.page_cache_bytes)
    views = ViewCounter(database.collection("posts"), window_seconds=settings.view_window_seconds)
    site = Site(PostReader(database, settings.page_size), cache, settings, views)

    @broker.subscriber(
        POSTS_PUBLISHED,
        auto_offset_reset="latest",
        ack_policy=AckPolicy.MANUAL,  # never acked: no group, so no offsets to commit
        title="posts.published:site",
        description="Posts created, updated or withdrawn: the site invalidates the pages each "
        "changes. "
        "No group: every replica of the site receives every event.",
    )
    async def on_post(post: PostPublished) -> None:
        site.changed(post)

    async def flush_views() -> None:
        await views.run(settings.views_flush_seconds)

    def what_it_serves(failing: list[str]) -> dict[str, str] | None:
        if "mongodb" not in failing:  # Kafka away: pages may lag by page_cache_seconds
            return {"serving": "every page; new posts may show late"}
        if len(cache) == 0:
            return None
        return {"serving": f"cached pages only ({len(cache)}); any other page answers 503"}

    pages = make_pages(site)
    return make_service_app(
        broker,
        service=SERVICE,
        settings=settings,
        database=database,
        fallback=traced_pages(pages),
        background=[flush_views],
        degraded=what_it_serves,
    )
