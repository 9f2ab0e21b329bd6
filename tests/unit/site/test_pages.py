"""The site's page plumbing, without a database: the renders are this test's own."""

from __future__ import annotations

import asyncio

from services.site.cache import PageCache
from services.site.pages import Rendered, Site
from services.site.posts import PostReader
from services.site.settings import SiteSettings
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
