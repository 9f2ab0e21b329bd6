"""The site's page cache: what a reader is served after a post is published."""

from __future__ import annotations

from services.site.cache import PageCache


def test_a_page_rendered_before_a_clear_is_served_once_but_not_kept():
    cache = PageCache(max_age_seconds=300)
    generation = cache.generation  # a render begins: it reads the post as it was...
    cache.clear()  # ...a newer version is published meanwhile...
    page = cache.put("story:bridge", b"old headline", "text/html", generation=generation)

    assert page.body == b"old headline"  # the request that rendered it gets it
    assert cache.get("story:bridge") is None  # the next one renders the new version


def test_a_page_rendered_since_the_last_clear_is_kept():
    cache = PageCache(max_age_seconds=300)
    cache.clear()
    generation = cache.generation
    cache.put("home:1", b"new headline", "text/html", generation=generation)

    cached = cache.get("home:1")
    assert cached is not None
    assert cached.body == b"new headline"


def test_a_clear_empties_the_cache():
    cache = PageCache(max_age_seconds=300)
    cache.put("home:1", b"page", "text/html")
    cache.clear()
    assert cache.get("home:1") is None
