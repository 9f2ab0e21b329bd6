"""The fetcher's wiring: Kafka in memory (TestKafkaBroker), its state in the real database,
the local news server on loopback."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import cast

from faststream.kafka import KafkaBroker

from services.demo.feed_server import DemoArticle, NewsServer
from services.fetcher.app import create_app
from services.fetcher.settings import FetcherSettings
from shared.events import ArticleFetched, DeadLetter, SourceDue
from shared.topics import ARTICLES_RAW, SOURCES_DUE, dead_letter_topic
from tests.asgi_server import serving
from tests.in_memory import in_memory
from tests.infra import MONGO
from tests.waiting import eventually

ARTICLES = [
    DemoArticle(
        id=f"bridge-{n}",
        outlet="Harbour News",
        title=f"Storm closes Oresund bridge, report {n}",
        text="A storm with gusts of 140 km/h closed the Oresund bridge between Denmark and "
        "Sweden for 14 hours on Tuesday, stranding about 2,300 lorries at both of its ends.",
        published=datetime(2021, 8, 10, 9, n, tzinfo=UTC),
    )
    for n in range(3)
]


async def test_a_due_source_is_polled_into_articles_raw_and_a_bad_tick_is_dead_lettered(
    tmp_path: Path,
):
    news = NewsServer(ARTICLES)
    name = f"pressroom_test_{uuid.uuid4().hex[:12]}"
    async with serving(news.app()) as base:
        sources = tmp_path / "sources.yaml"
        sources.write_text(news.sources_yaml(base, poll_seconds=60))
        app = create_app(
            FetcherSettings(
                mongo_url=MONGO, mongo_database=name, sources_file=sources, host_delay_seconds=0
            )
        )
        broker = cast(KafkaBroker, app.broker)
        emitted: list[ArticleFetched] = []
        dead: list[DeadLetter] = []

        @broker.subscriber(ARTICLES_RAW, group_id="test-reader")
        async def read(article: ArticleFetched) -> None:
            emitted.append(article)

        @broker.subscriber(dead_letter_topic(SOURCES_DUE), group_id="test-reader")
        async def read_dead(letter: DeadLetter) -> None:
            dead.append(letter)

        async with in_memory(app, name) as br:
            due = SourceDue(source_id="harbour-news", due_at=ARTICLES[0].published)
            await br.publish(due, SOURCES_DUE, key=b"harbour-news")
            await br.publish(due, SOURCES_DUE, key=b"harbour-news")  # polled again: no news
            await br.publish(b"not json", SOURCES_DUE, key=b"x")
            await eventually(lambda: len(dead) == 1, within=60, what="the dead letter")

    assert sorted(a.title for a in emitted) == [a.title for a in ARTICLES]
    assert {a.source_name for a in emitted} == {"Harbour News"}
    assert all(a.text.startswith("A storm with gusts") for a in emitted)
    assert dead[0].original == b"not json"
