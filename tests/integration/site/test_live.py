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
from shared.topics import STORIES_SUMMARIZED
from tests.factories import make_summary
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
    assert "Bridge reopens after storm" in (await client.get(f"/story/{slug}")).text

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
