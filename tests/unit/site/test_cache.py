"""The site's page cache: what a reader is served after a post is published, and what
the cache keeps within its memory."""

from __future__ import annotations

from datetime import UTC, datetime

from services.site.cache import ENTRY_OVERHEAD_BYTES, PageCache
from services.site.pages import tags_changed_by
from shared.events import PostPublished


def published(slug: str, category: str = "Science") -> PostPublished:
    now = datetime.now(UTC)
    return PostPublished(
        story_id="a" * 32,
        slug=slug,
        version=1,
        change="created",
        headline="A headline",
        category=category,
        first_published_at=now,
        updated_at=now,
    )


def test_a_page_rendered_before_its_post_changed_is_served_once_but_not_kept():
    cache = PageCache(max_age_seconds=300)
    began = cache.sequence  # a render begins: it reads the post as it was...
    cache.invalidate(tags_changed_by(published("bridge")))  # ...a new version is published...
    page = cache.put(
        "story:bridge", b"old headline", "text/html", tags={"post:bridge"}, began=began
    )

    assert page.body == b"old headline"  # the request that rendered it gets it
    assert cache.get("story:bridge") is None  # the next one renders the new version


def test_a_page_rendered_while_another_post_changed_is_kept():
    cache = PageCache(max_age_seconds=300)
    began = cache.sequence
    cache.invalidate(tags_changed_by(published("tunnel", "Business")))
    cache.put("category:Science:1", b"science", "text/html", tags={"category:Science"}, began=began)
    assert cache.get("category:Science:1") is not None


def test_a_published_post_invalidates_its_page_and_listings_and_nothing_else():
    cache = PageCache(max_age_seconds=300)
    pages = {
        "story:bridge": {"post:bridge"},
        "story:tunnel": {"post:tunnel"},
        "home:1": {"home"},
        "category:Science:2": {"category:Science"},
        "category:Business:1": {"category:Business"},
        "search:storm:1": {"search"},
        "source:Harbour News:1": {"sources"},
        "sitemap": {"sitemap"},
        "rss.xml:Science": {"category:Science"},
    }
    for key, tags in pages.items():
        cache.put(key, key.encode(), "text/html", tags=tags)

    assert cache.invalidate(tags_changed_by(published("bridge", "Science"))) == 7
    assert {key for key in pages if cache.get(key) is not None} == {
        "story:tunnel",
        "category:Business:1",
    }


def test_the_least_recently_used_page_leaves_first_when_memory_is_full():
    size = 1000 + ENTRY_OVERHEAD_BYTES
    cache = PageCache(max_age_seconds=300, max_bytes=3 * size)
    for key in ("home:1", "story:a", "story:b"):
        cache.put(key, b"x" * 1000, "text/html")
    assert cache.get("home:1") is not None  # read again: now the most recent
    cache.put("story:c", b"x" * 1000, "text/html")

    assert cache.get("story:a") is None
    assert all(cache.get(k) is not None for k in ("home:1", "story:b", "story:c"))
    assert cache.bytes == 3 * size


def test_a_page_larger_than_the_cache_is_served_but_not_kept():
    cache = PageCache(max_age_seconds=300, max_bytes=2000)
    page = cache.put("sitemap", b"x" * 5000, "application/xml")
    assert page.body == b"x" * 5000
    assert cache.get("sitemap") is None
    assert cache.bytes == 0


def test_an_expired_page_is_no_hit_but_can_still_be_served_stale():
    cache = PageCache(max_age_seconds=0.0001)
    cache.max_age = 300
    cache.put("home:1", b"home", "text/html")
    cache.max_age = 0
    assert cache.get("home:1") is None
    stale = cache.stale("home:1")
    assert stale is not None
    assert stale.body == b"home"


def test_a_clear_empties_the_cache():
    cache = PageCache(max_age_seconds=300)
    cache.put("home:1", b"page", "text/html")
    cache.clear()
    assert cache.get("home:1") is None
    assert cache.bytes == 0
