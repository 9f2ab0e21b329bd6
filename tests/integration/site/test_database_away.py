"""The site without its database: what it holds it still serves, with no query at all;
what it does not hold gets a clear 503 page. (The database is "lost" by pointing the
site's reader at a port nothing listens on, after the pages were first served.)"""

from __future__ import annotations

import httpx2
import pytest
from pymongo.errors import PyMongoError

from services.publisher.store import PostStore
from services.site.pages import Site
from services.site.posts import PostReader
from shared.db import Database
from tests.factories import make_summary
from tests.integration.site.test_pages import publish

NOWHERE = "mongodb://127.0.0.1:1"


def lose_the_database(site: Site) -> None:
    site.reader = PostReader(Database(NOWHERE, "gone", timeout_ms=300), site.reader.page_size)
    assert site.views is not None
    site.views.posts = site.reader.posts


async def test_a_cached_page_is_served_without_the_database_and_others_get_a_503(
    posts: PostStore, site: Site, browser: httpx2.AsyncClient
):
    [slug] = await publish(posts, site, make_summary())
    story = await browser.get(f"/story/{slug}")
    home = await browser.get("/")
    missing = await browser.get("/story/no-such-story")
    assert (story.status_code, home.status_code, missing.status_code) == (200, 200, 404)

    lose_the_database(site)
    # Served from memory: a page view touches no database (it would fail here).
    again = await browser.get(f"/story/{slug}", headers={"accept-language": "fi"})
    assert again.status_code == 200
    assert again.text == story.text
    assert (await browser.get("/story/no-such-story")).status_code == 404  # a cached miss
    site.cache.max_age = 0  # every page has expired: served however old when it must be
    assert (await browser.get("/")).text == home.text

    uncached = await browser.get("/category/science")
    assert uncached.status_code == 503
    assert "cannot reach its database" in uncached.text
    assert uncached.headers["retry-after"] == "30"
    assert (await browser.get("/api/posts")).status_code == 503


async def test_views_counted_while_the_database_is_away_are_written_when_it_is_back(
    posts: PostStore, site: Site, browser: httpx2.AsyncClient, database: Database
):
    [slug] = await publish(posts, site, make_summary())
    await browser.get(f"/story/{slug}")
    reader, views = site.reader, site.views
    assert views is not None
    lose_the_database(site)
    await browser.get(f"/story/{slug}", headers={"accept-language": "fi"})
    with pytest.raises(PyMongoError):
        await views.flush()
    assert sum(views.pending.values()) == 2  # kept for the next flush

    views.posts = reader.posts  # the database is back
    assert await views.flush() == 2
    post = await reader.by_slug(slug)
    assert post is not None
    assert post.views == 2
