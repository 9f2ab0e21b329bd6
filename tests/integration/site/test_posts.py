"""Listings read a recent window of posts first: what a reader sees is the same as if
every post were sorted."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from services.publisher.store import PostStore
from services.site.posts import PostReader
from shared.db import Database
from tests.factories import make_summary


async def test_listings_page_through_recent_and_old_posts_newest_first(database: Database):
    store = PostStore(database)
    await store.create_indexes()
    now = datetime.now(UTC)
    ages = {"today": 0, "yesterday": 1.5, "last week": 5, "last month": 30, "last year": 300}
    for n, (headline, days) in enumerate(ages.items()):
        summary = make_summary(f"{n + 1:x}" * 32, headline=f"Story from {headline}")
        await store.publish(summary, now=now - timedelta(days=days))
    reader = PostReader(database, page_size=2)

    pages = [await reader.page(number) for number in (1, 2, 3)]

    assert [[p.headline for p in page.posts] for page in pages] == [
        ["Story from today", "Story from yesterday"],
        ["Story from last week", "Story from last month"],
        ["Story from last year"],
    ]
    assert [page.has_next for page in pages] == [True, True, False]
    politics = await reader.page(1, {"category": "Politics"})
    assert politics.posts == []
    assert not politics.has_next


async def test_related_and_recent_posts_are_the_newest_however_old(database: Database):
    store = PostStore(database)
    await store.create_indexes()
    now = datetime.now(UTC)
    ages = {"an hour ago": 1 / 24, "last week": 5, "last month": 30, "last year": 300}
    for n, (headline, days) in enumerate(ages.items()):
        summary = make_summary(f"{n + 1:x}" * 32, headline=f"Story from {headline}")
        await store.publish(summary, now=now - timedelta(days=days))
    reader = PostReader(database, page_size=2)
    newest = await reader.by_slug((await reader.page(1)).posts[0].slug)
    assert newest is not None

    related = await reader.related(newest, count=3)
    recent = await reader.recent(count=4)

    assert [p.headline for p in related] == [
        "Story from last week",
        "Story from last month",
        "Story from last year",
    ]
    assert [p.headline for p in recent] == [f"Story from {age}" for age in ages]
