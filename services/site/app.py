"""The public site: server-rendered pages, feeds and a JSON API over MongoDB `posts`.

It subscribes to posts.published (every replica sees every event: no consumer group)
only to clear its page cache, so a new or updated post shows at once.
"""

from __future__ import annotations

from faststream.asgi import AsgiFastStream
from faststream.middlewares import AckPolicy

from services.site.cache import PageCache
from services.site.pages import Site
from services.site.posts import PostReader
from services.site.routes import make_pages
from services.site.settings import SiteSettings
from shared.broker import make_broker
from shared.db import Database
from shared.events import PostPublished
from shared.service import make_service_app
from shared.settings import load_settings
from shared.topics import POSTS_PUBLISHED

SERVICE = "site"


def create_app(settings: SiteSettings) -> AsgiFastStream:
    broker = make_broker(settings, SERVICE)
    database = Database.from_settings(settings)
    cache = PageCache(settings.page_cache_seconds)
    site = Site(PostReader(database, settings.page_size), cache, settings)

    @broker.subscriber(
        POSTS_PUBLISHED,
        auto_offset_reset="latest",
        ack_policy=AckPolicy.MANUAL,  # never acked: no group, so no offsets to commit
        title="posts.published:site",
        description="Posts created or updated: the site clears its page cache. No group: "
        "every replica of the site receives every event.",
    )
    async def on_post(post: PostPublished) -> None:
        cache.clear()

    pages = make_pages(site)
    return make_service_app(
        broker,
        service=SERVICE,
        settings=settings,
        database=database,
        fallback=pages,
    )


settings = load_settings(SiteSettings)
app = create_app(settings)
