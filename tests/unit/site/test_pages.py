"""The site's page plumbing, without a database: the renders are this test's own."""

from __future__ import annotations

import asyncio

import httpx2

from services.site.cache import CachedPage, PageCache
from services.site.pages import Rendered, Site
from services.site.posts import PostReader
from services.site.routes import make_pages
from services.site.settings import SiteSettings
from services.site.views import ViewCounter
from shared.db import Database


def site() -> Site:
    # Nothing here queries: the database is only named.
    reader = PostReader(Database("mongodb://127.0.0.1:1", "unused"), page_size=12)
    return Site(reader, PageCache(60), SiteSettings())


async def test_readers_missing_one_page_at_once_wait_for_a_single_render():
    pages = site()
    renders = 0
    release = asyncio.Event()

    async def render() -> Rendered:
        nonlocal renders
        renders += 1
        await release.wait()  # as a render waits for its queries
        return Rendered(b"<p>home</p>", "text/html", 200, None)

    readers = [asyncio.create_task(pages.page("/", render)) for _ in range(32)]
    await asyncio.sleep(0.01)
    release.set()
    served = await asyncio.gather(*readers)

    assert renders == 1
    assert {page.body for page in served} == {b"<p>home</p>"}
    assert (await pages.page("/", render)).body == b"<p>home</p>"  # now from the cache
    assert renders == 1


async def test_a_reader_who_leaves_does_not_cancel_the_render_others_wait_for():
    pages = site()
    release = asyncio.Event()

    async def render() -> Rendered:
        await release.wait()
        return Rendered(b"<p>story</p>", "text/html", 200, None)

    leaving = asyncio.create_task(pages.page("/story/a", render))
    staying = asyncio.create_task(pages.page("/story/a", render))
    await asyncio.sleep(0.01)
    leaving.cancel()
    release.set()

    assert (await staying).body == b"<p>story</p>"


async def test_a_cached_story_page_is_answered_before_the_router_as_the_router_would():
    reader = PostReader(Database("mongodb://127.0.0.1:1", "unused"), page_size=12)
    views = ViewCounter(reader.posts, window_seconds=1800)
    pages = Site(reader, PageCache(60), SiteSettings(), views)
    story_id = "5" * 32
    pages.cache.put(
        "story:harbour-closes",
        b"<p>the story</p>",
        "text/html; charset=utf-8",
        last_modified=1_700_000_000.0,
        story_id=story_id,
    )
    answered_early: list[str] = []
    look_up = pages.cached_story

    def cached_story(path: str) -> CachedPage | None:
        answered_early.append(path)
        return look_up(path)

    pages.cached_story = cached_story  # type: ignore[method-assign]
    app = make_pages(pages)
    browser = {"user-agent": "Mozilla/5.0 (X11; Linux x86_64) Firefox/128.0"}
    async with httpx2.AsyncClient(
        transport=httpx2.ASGITransport(app=app), base_url="http://site"
    ) as client:
        direct = await client.get("/story/harbour-closes", headers=browser)
        routed = await client.get("/story/harbour-closes?via=router", headers=browser)
        again = await client.get(
            "/story/harbour-closes", headers={**browser, "if-none-match": direct.headers["etag"]}
        )

    assert direct.status_code == routed.status_code == 200
    assert direct.content == routed.content == b"<p>the story</p>"
    assert dict(direct.headers) == dict(routed.headers)
    assert again.status_code == 304  # a conditional request goes the usual way
    assert answered_early == ["/story/harbour-closes"]
    assert views.pending[story_id] == 1  # one reader, two views within the window: one
