"""The site's pages over the real database: what a reader (and a crawler) gets back."""

from __future__ import annotations

import html as html_lib
import json
import re

import httpx2

from services.publisher.store import PostStore
from services.site.pages import Site
from services.summarizer.composer import compose
from services.summarizer.draft import ExtractiveBackend
from services.summarizer.material import StoryMaterial
from shared.events import StorySummarized
from tests.factories import make_summary, make_withdrawal
from tests.unit.summarizer.stories import STORY


def oresund_summary() -> StorySummarized:
    material = StoryMaterial(STORY)
    summary, _ = compose(material, ExtractiveBackend(200).write(material))
    return summary


def main_of(html: str) -> str:
    """The page's <main>: what it lists, without the Recent Posts column."""
    found = re.search(r"<main.*?</main>", html, re.S)
    assert found is not None
    return found.group(0)


async def publish(posts: PostStore, site: Site, *summaries: StorySummarized) -> list[str]:
    slugs = []
    for summary in summaries:
        post = (await posts.publish(summary)).post
        assert post is not None
        slugs.append(post.slug)
    site.forget()  # as posts.published makes the running site drop what a post changes
    return slugs


async def test_a_story_page_tells_the_story_with_its_sources_points_and_share_links(
    posts: PostStore, site: Site, browser: httpx2.AsyncClient
):
    [slug] = await publish(posts, site, oresund_summary())
    page = await browser.get(f"/story/{slug}")
    assert page.status_code == 200
    html = page.text
    assert '<h1 id="headline">Storm closes Oresund bridge for 14 hours</h1>' in html
    assert "News sources:" in html
    assert "NORDIC DAILY" in html
    assert "Credited from: HARBOUR NEWS" in html
    assert "3 outlets · 3 original reports" in html
    assert len(re.findall(r'<li>[^<]+ <a class="cite"', html)) == 5  # five cited key points
    # Under each key point, what its source says, quoted and linked to the article.
    quoted = re.findall(r'<blockquote class="evidence" cite="([^"]+)"><p>([^<]+)</p>', html)
    assert len(quoted) == 5
    texts = {a.canonical_url: " ".join(f"{a.title} {a.text}".split()) for a in STORY.articles}
    for url, passage in quoted:
        said = html_lib.unescape(passage).removeprefix("\u201c").removesuffix("\u201d")
        assert " ".join(said.split()) in texts[url]
    for network in (
        "twitter.com/intent/tweet",
        "facebook.com/sharer",
        "linkedin.com/sharing",
        "wa.me/",
        "mailto:?subject=",
    ):
        assert network in html
    assert 'property="og:title" content="Storm closes Oresund bridge for 14 hours"' in html
    ld = re.search(r'<script type="application/ld\+json">(.*?)</script>', html, re.S)
    assert ld is not None
    assert json.loads(ld.group(1))["@type"] == "NewsArticle"
    assert "Recent Posts" in html


async def test_hostile_text_renders_inert(
    posts: PostStore, site: Site, browser: httpx2.AsyncClient
):
    hostile = make_summary(
        headline="</script><script>alert(1)</script>",
        key_points=(
            '<script>alert("x")</script> said the Oresund operator.',
            'Click <a href="javascript:alert(2)">here</a> for the Oresund <b>bridge <i>story',
        ),
    )
    [slug] = await publish(posts, site, hostile)
    html = (await browser.get(f"/story/{slug}")).text
    assert "<script>alert" not in html
    assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;" in html
    assert 'href="javascript:' not in html
    assert "<b>bridge" not in html
    # Every script element is data (JSON-LD), none runs; the JSON-LD cannot be closed early.
    assert re.findall(r"<script[^>]*>", html) == ['<script type="application/ld+json">']
    ld = re.search(r'<script type="application/ld\+json">(.*?)</script>', html, re.S)
    assert ld is not None
    assert json.loads(ld.group(1))["headline"] == "</script><script>alert(1)</script>"


async def test_every_response_carries_a_strict_content_security_policy(browser: httpx2.AsyncClient):
    response = await browser.get("/")
    policy = response.headers["content-security-policy"]
    assert "script-src 'self'" in policy
    assert "unsafe-inline" not in policy
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["x-frame-options"] == "DENY"


async def test_views_count_each_reader_once_but_not_bots_nor_revalidations(
    posts: PostStore, site: Site, browser: httpx2.AsyncClient
):
    [slug] = await publish(posts, site, make_summary())
    first = None
    for language in ("da", "sv", "en"):  # three readers behind one address
        first = await browser.get(f"/story/{slug}", headers={"accept-language": language})
    assert first is not None
    await browser.get(f"/story/{slug}", headers={"accept-language": "da"})  # again: once
    await browser.get(f"/story/{slug}", headers={"user-agent": "Googlebot/2.1"})
    await browser.get(f"/story/{slug}", headers={"if-none-match": first.headers["etag"]})
    await browser.head(f"/story/{slug}")
    post = await site.reader.by_slug(slug)
    assert post is not None
    assert post.views == 0  # counted in memory...
    assert site.views is not None
    assert await site.views.flush() == 3  # ...and written in one bulk write
    post = await site.reader.by_slug(slug)
    assert post is not None
    assert post.views == 3


async def test_a_page_the_client_has_is_answered_304(
    posts: PostStore, site: Site, browser: httpx2.AsyncClient
):
    [slug] = await publish(posts, site, make_summary())
    first = await browser.get(f"/story/{slug}")
    again = await browser.get(f"/story/{slug}", headers={"if-none-match": first.headers["etag"]})
    assert again.status_code == 304
    assert "max-age=" in first.headers["cache-control"]
    assert "last-modified" in first.headers


async def test_search_puts_the_story_naming_every_word_first(
    posts: PostStore, site: Site, browser: httpx2.AsyncClient
):
    await publish(
        posts,
        site,
        make_summary(
            "1" * 32,
            headline="Ferry timetable changes in winter",
            key_points=("The ferry leaves an hour later from December.",),
        ),
        make_summary(
            "2" * 32,
            headline="Storm stops the ferry and closes the bridge",
            key_points=("Both crossings were shut for the night.",),
        ),
        make_summary(
            "3" * 32,
            headline="Markets rally on rate cut",
            key_points=("Stocks rose 2% after the cut.",),
        ),
    )
    api = (await browser.get("/api/posts", params={"q": "bridge FERRIES"})).json()["posts"]
    assert [p["headline"] for p in api] == [
        "Storm stops the ferry and closes the bridge",  # both words (ferries: ferry)
        "Ferry timetable changes in winter",  # one of them
    ]
    found = main_of((await browser.get("/search", params={"q": "bridge ferries"})).text)
    assert found.index("Storm stops the ferry") < found.index("Ferry timetable changes")
    assert "Markets rally" not in found


async def test_search_category_source_pages_and_pagination(
    posts: PostStore, site: Site, browser: httpx2.AsyncClient
):
    await publish(
        posts,
        site,
        oresund_summary(),
        make_summary(
            "1" * 32,
            headline="Senate passes infrastructure bill",
            category="Politics",
            key_points=("The Senate voted 69 to 30 for the bill.",),
        ),
        make_summary(
            "2" * 32,
            headline="Markets rally on rate cut",
            category="Business",
            key_points=("Stocks rose 2% after the cut.",),
        ),
    )
    found = main_of((await browser.get("/search", params={"q": "ORESUND bridge"})).text)
    assert "Storm closes Oresund bridge" in found
    assert "Senate passes" not in found
    assert "No stories match" in (await browser.get("/search", params={"q": "zeppelin"})).text
    politics = main_of((await browser.get("/category/politics")).text)
    assert "Senate passes infrastructure bill" in politics
    assert "Markets rally" not in politics
    assert (await browser.get("/category/astrology")).status_code == 404
    outlet = main_of((await browser.get("/source/Coast Times")).text)
    assert "Storm closes Oresund bridge" in outlet
    assert "Senate passes" not in outlet
    home = (await browser.get("/")).text  # page size 2: three posts make two pages
    assert 'rel="next" href="/?page=2"' in home
    second = (await browser.get("/", params={"page": "2"})).text
    assert 'rel="prev"' in second
    assert 'rel="next"' not in second


async def test_feeds_sitemap_and_robots_are_well_formed(
    posts: PostStore, site: Site, browser: httpx2.AsyncClient
):
    import xml.etree.ElementTree as ET

    [slug] = await publish(posts, site, oresund_summary())
    rss = ET.fromstring((await browser.get("/feed.xml")).content)
    assert rss.findtext("channel/item/link") == f"https://news.example/story/{slug}"
    atom = ET.fromstring((await browser.get("/category/world/atom.xml")).content)
    assert atom.find("{http://www.w3.org/2005/Atom}entry") is not None
    sitemap = (await browser.get("/sitemap.xml")).text
    assert f"<loc>https://news.example/story/{slug}</loc>" in sitemap
    assert "Sitemap: https://news.example/sitemap.xml" in (await browser.get("/robots.txt")).text


async def test_the_json_api_lists_and_shows_posts_and_describes_itself(
    posts: PostStore, site: Site, browser: httpx2.AsyncClient
):
    [slug] = await publish(posts, site, oresund_summary())
    listing = (await browser.get("/api/posts")).json()
    assert [p["slug"] for p in listing["posts"]] == [slug]
    detail = (await browser.get(f"/api/posts/{slug}")).json()
    assert len(detail["key_points"]) == 5
    assert detail["sources"][0]["source_name"] == "Harbour News"
    assert (await browser.get("/api/categories")).json() == [
        {"name": "World", "posts": 1, "url": "https://news.example/category/world"}
    ]
    missing = await browser.get("/api/posts/no-such-post")
    assert (missing.status_code, missing.json()) == (404, {"error": "not found"})
    document = (await browser.get("/api/openapi.json")).json()
    assert set(document["paths"]) == {"/api/posts", "/api/posts/{slug}", "/api/categories"}


async def test_unknown_addresses_get_the_404_page(browser: httpx2.AsyncClient):
    for path in ("/story/no-such-story", "/story/..%2F..%2Fetc", "/nowhere", "/category/"):
        response = await browser.get(path)
        assert response.status_code == 404, path
        assert "Page not found" in response.text


async def test_a_database_outage_shows_the_503_page_not_a_traceback():
    from services.site.cache import PageCache
    from services.site.posts import PostReader
    from services.site.routes import make_pages
    from services.site.settings import SiteSettings
    from shared.db import Database

    dead = Database("mongodb://127.0.0.1:9", "pressroom", timeout_ms=200)
    site = Site(PostReader(dead, 12), PageCache(0), SiteSettings())
    transport = httpx2.ASGITransport(app=make_pages(site), raise_app_exceptions=False)
    async with httpx2.AsyncClient(transport=transport, base_url="http://t") as client:
        response = await client.get("/")
    await dead.close()
    assert response.status_code == 503
    assert "This page is not available just now" in response.text
    assert "Traceback" not in response.text


async def test_the_page_of_a_story_merged_into_another_leads_to_that_story(
    posts: PostStore, site: Site, browser: httpx2.AsyncClient
):
    merged, taker = "5" * 32, "6" * 32
    old_slug, new_slug = await publish(
        posts,
        site,
        make_summary(merged, headline="Storm closes Oresund bridge"),
        make_summary(taker, headline="Storm shuts bridges across Denmark and Sweden"),
    )
    assert f"/story/{old_slug}" in main_of((await browser.get("/")).text)
    await posts.withdraw(make_withdrawal(version=2, merged_into=taker, story_id=merged))
    site.forget()

    moved = await browser.get(f"/story/{old_slug}")
    home = await browser.get("/")

    assert moved.status_code == 301
    assert moved.headers["location"] == f"/story/{new_slug}"
    assert (await browser.get(f"/story/{old_slug}", follow_redirects=True)).status_code == 200
    assert f"/story/{old_slug}" not in main_of(home.text)
    assert f"/story/{new_slug}" in main_of(home.text)
