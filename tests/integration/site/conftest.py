from __future__ import annotations

from collections.abc import AsyncIterator

import httpx2
import pytest

from services.publisher.store import PostStore
from services.site.cache import PageCache
from services.site.pages import Site
from services.site.posts import PostReader
from services.site.routes import make_pages
from services.site.settings import SiteSettings
from services.site.views import ViewCounter
from shared.db import Database

READER = {"user-agent": "Mozilla/5.0 (X11; Linux x86_64) Firefox/128.0"}


@pytest.fixture
async def posts(database: Database) -> PostStore:
    store = PostStore(database)
    await store.create_indexes()
    return store


@pytest.fixture
def site(database: Database) -> Site:
    settings = SiteSettings(site_url="https://news.example", page_size=2)
    views = ViewCounter(database.collection("posts"))
    return Site(PostReader(database, settings.page_size), PageCache(60), settings, views)


@pytest.fixture
async def browser(site: Site) -> AsyncIterator[httpx2.AsyncClient]:
    """The site's pages over ASGI, as a reader's browser asks for them."""
    transport = httpx2.ASGITransport(app=make_pages(site))
    async with httpx2.AsyncClient(
        transport=transport, base_url="https://news.example", headers=READER
    ) as client:
        yield client
