"""The example extension, tested like the other services: its handler through
TestKafkaBroker, its state in the real database, its /digest over HTTP."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import httpx2

from services.digest.app import create_app
from services.digest.settings import DigestSettings
from shared.events import PostPublished
from shared.topics import POSTS_PUBLISHED
from tests.in_memory import in_memory
from tests.infra import MONGO

DAY = datetime(2021, 8, 10, 9, tzinfo=UTC)


def post(story: str, version: int, headline: str, category: str = "World") -> PostPublished:
    return PostPublished(
        story_id=story * 32,
        slug=f"{headline.lower().replace(' ', '-')}-{story * 6}",
        version=version,
        change="created" if version == 1 else "updated",
        headline=headline,
        category=category,
        first_published_at=DAY,
        updated_at=DAY,
    )


async def test_the_days_posts_make_one_digest_with_each_storys_newest_headline():
    name = f"pressroom_test_{uuid.uuid4().hex[:12]}"
    app = create_app(
        DigestSettings(mongo_url=MONGO, mongo_database=name, site_url="https://news.example")
    )
    async with in_memory(app, name) as broker:
        for event in (
            post("a", 1, "Storm closes bridge"),
            post("b", 1, "Senate passes bill", "Politics"),
            post("a", 2, "Bridge reopens after storm"),
            post("a", 1, "Storm closes bridge"),  # redelivered late: changes nothing
        ):
            await broker.publish(event, POSTS_PUBLISHED, key=event.story_id.encode())
        transport = httpx2.ASGITransport(app=app)
        async with httpx2.AsyncClient(transport=transport, base_url="http://digest") as client:
            digest = await client.get("/digest", params={"date": "2021-08-10"})
            bad = await client.get("/digest", params={"date": "yesterday"})

    assert digest.status_code == 200
    assert digest.text == (
        "Pressroom digest for 2021-08-10: 2 stories\n\n"
        "Politics\n  - Senate passes bill <https://news.example/story/senate-passes-bill-bbbbbb>\n\n"
        "World\n  - Bridge reopens after storm "
        "<https://news.example/story/bridge-reopens-after-storm-aaaaaa>\n"
    )
    assert bad.status_code == 400
