"""Publisher and site as their own processes over the real broker and database: a summary
on stories.summarized becomes a page a reader can load, and a newer version replaces it."""

from __future__ import annotations

import time
import uuid
from collections.abc import AsyncIterator

import httpx2
import pytest
from faststream.kafka import KafkaBroker

from shared.broker import make_broker
from shared.db import Database
from shared.events import StorySummarized
from shared.settings import ServiceSettings
from shared.topics import STORIES_SUMMARIZED, STORIES_UPDATED
from tests.factories import make_summary, make_withdrawal
from tests.infra import KAFKA
from tests.processes import running_service
from tests.waiting import eventually_async


@pytest.fixture
async def site_and_broker(
    database: Database,
) -> AsyncIterator[tuple[httpx2.AsyncClient, KafkaBroker, str]]:
    """publisher + site on one database, an HTTP client for the site, a broker to write with."""
    name = database.db.name
    broker = make_broker(ServiceSettings(kafka_bootstrap_servers=KAFKA), "test-writer")
    async with (
        running_service("publisher", name) as publisher,
        # A long cache age: only posts.published can make a change show.
        running_service("site", name, page_cache_seconds="300") as site,
        broker,
        httpx2.AsyncClient(base_url=site.url, headers={"user-agent": "Mozilla/5.0"}) as client,
    ):
        await broker.start()
        yield client, broker, publisher.url


async def publish(broker: KafkaBroker, summary: StorySummarized) -> None:
    await broker.publish(summary, STORIES_SUMMARIZED, key=summary.story_id.encode())


def home_shows(client: httpx2.AsyncClient, text: str):
    async def check() -> bool:
        return text in (await client.get("/")).text

    return check


def page_shows(client: httpx2.AsyncClient, path: str, text: str):
    async def check() -> bool:
        return text in (await client.get(path)).text

    return check


def counted_stale(publisher: str):
    async def check() -> bool:
        async with httpx2.AsyncClient() as client:
            metrics = (await client.get(f"{publisher}/metrics")).text
        return 'pressroom_publications_total{outcome="stale"} 1.0' in metrics

    return check


async def test_a_summary_becomes_a_story_page_and_a_newer_version_shows_at_once(site_and_broker):
    client, broker, publisher = site_and_broker
    story_id = uuid.uuid4().hex

    started = time.monotonic()
    await publish(broker, make_summary(story_id, version=1, headline="Bridge closed by storm"))
    await eventually_async(home_shows(client, "Bridge closed by storm"), within=60)
    visible_after = time.monotonic() - started
    slug = (await client.get("/api/posts")).json()["posts"][0]["slug"]
    assert "Bridge closed by storm" in (await client.get(f"/story/{slug}")).text

    await publish(broker, make_summary(story_id, version=3, headline="Bridge reopens after storm"))
    await eventually_async(home_shows(client, "Bridge reopens after storm"), within=60)
    # The home page may show it first (rendered afresh), its own page once the event is in.
    await eventually_async(page_shows(client, f"/story/{slug}", "Bridge reopens after storm"))

    # Version 2 after version 3 is handled as stale and changes nothing.
    await publish(broker, make_summary(story_id, version=2, headline="Bridge half open"))
    await eventually_async(counted_stale(publisher), within=60, what="v2 handled as stale")
    post = (await client.get(f"/api/posts/{slug}")).json()
    assert (post["version"], post["headline"], post["slug"]) == (
        3,
        "Bridge reopens after storm",
        slug,
    )
    print(f"\nfirst version visible on the site {visible_after:.2f} s after it was published")


async def test_a_withdrawal_leaves_the_site_and_the_digest(database: Database):
    """publisher, site and digest as processes: a story whose articles joined another is
    announced withdrawn, and both readers of posts.published act on it."""
    name = database.db.name
    broker = make_broker(ServiceSettings(kafka_bootstrap_servers=KAFKA), "test-writer")
    merged, taker = uuid.uuid4().hex, uuid.uuid4().hex
    async with (
        running_service("publisher", name),
        running_service("site", name, page_cache_seconds="300") as site,
        running_service("digest", name) as digest,
        broker,
        httpx2.AsyncClient(base_url=site.url, headers={"user-agent": "Mozilla/5.0"}) as client,
    ):
        await broker.start()
        await publish(broker, make_summary(merged, headline="Storm closes Oresund bridge"))
        await publish(broker, make_summary(taker, headline="Storm shuts bridges in Denmark"))
        for headline in ("Storm closes Oresund bridge", "Storm shuts bridges in Denmark"):
            await eventually_async(home_shows(client, headline), within=60)
        posts = {p["headline"]: p["slug"] for p in (await client.get("/api/posts")).json()["posts"]}
        old_slug, new_slug = (
            posts["Storm closes Oresund bridge"],
            posts["Storm shuts bridges in Denmark"],
        )
        assert (await client.get(f"/story/{old_slug}")).status_code == 200  # now cached

        async def digest_lists(headline: str) -> bool:
            async with httpx2.AsyncClient() as reader:
                return headline in (await reader.get(f"{digest.url}/digest")).text

        await eventually_async(lambda: digest_lists("Storm closes Oresund bridge"), within=60)

        withdrawal = make_withdrawal(version=3, merged_into=taker, story_id=merged)
        await broker.publish(withdrawal, STORIES_UPDATED, key=merged.encode())

        async def gone() -> bool:
            return "Storm closes Oresund bridge" not in (await client.get("/")).text

        await eventually_async(gone, within=60, what="the withdrawn story off the home page")

        async def leads_on() -> bool:
            return (await client.get(f"/story/{old_slug}")).status_code == 301

        await eventually_async(leads_on, what="the old address leading to the new story")
        moved = await client.get(f"/story/{old_slug}")
        assert moved.headers["location"] == f"/story/{new_slug}"

        async def digest_dropped() -> bool:
            return not await digest_lists("Storm closes Oresund bridge")

        await eventually_async(digest_dropped, within=60, what="the withdrawn story off the digest")
        assert await digest_lists("Storm shuts bridges in Denmark")
