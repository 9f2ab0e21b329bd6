"""No address or query string makes the site fail: hypothesis throws paths and parameters
at it (over the real database, with posts in it) and every answer is below 500."""

from __future__ import annotations

import uuid
from urllib.parse import quote

import httpx2
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from services.publisher.store import PostStore
from services.site.cache import PageCache
from services.site.pages import Site
from services.site.posts import PostReader
from services.site.routes import make_pages
from services.site.settings import SiteSettings
from shared.db import Database
from tests.factories import make_summary
from tests.infra import MONGO

ROUTES = [
    "/",
    "/story/{}",
    "/category/{}",
    "/category/{}/feed.xml",
    "/category/{}/atom.xml",
    "/source/{}",
    "/search",
    "/feed.xml",
    "/sitemap.xml",
    "/api/posts",
    "/api/posts/{}",
    "/api/categories",
    "/static/{}",
]
# Any text, percent-encoded as a browser would send it (slashes and dots left as they are).
SEGMENT = st.text(max_size=40).map(lambda text: quote(text, safe="/.:@!$&'()*+,;="))
PARAMS = st.dictionaries(
    st.sampled_from(["page", "q", "category", "source", "x"]), st.text(max_size=60), max_size=4
)

database = Database(MONGO, f"pressroom_test_fuzz_{uuid.uuid4().hex[:8]}")
site = Site(PostReader(database, 3), PageCache(0), SiteSettings())
client = httpx2.AsyncClient(
    transport=httpx2.ASGITransport(app=make_pages(site)), base_url="http://t"
)
published = False


async def ensure_posts() -> None:
    global published
    if not published:
        store = PostStore(database)
        await store.create_indexes()
        for n in range(5):
            await store.publish(make_summary(f"{n:032x}", headline=f"Story number {n}"))
        published = True


@settings(max_examples=200, deadline=None, suppress_health_check=list(HealthCheck))
@given(route=st.sampled_from(ROUTES), segment=SEGMENT, params=PARAMS)
async def test_no_address_or_query_makes_the_site_fail(route: str, segment: str, params: dict):
    await ensure_posts()
    response = await client.get(route.replace("{}", segment), params=params)
    assert response.status_code < 500, (route, segment, params, response.text[:300])


async def test_zz_drop_the_fuzz_database():
    await database.client.drop_database(database.db.name)
