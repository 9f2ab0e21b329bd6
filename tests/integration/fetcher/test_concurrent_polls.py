"""A fetcher replica polls several sources at once, over the real broker, never one source
twice at once, and dead-letters a poison message among the polls."""

from __future__ import annotations

import asyncio
import uuid
from collections import Counter
from pathlib import Path

import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from services.ops.dead_letters import letters
from shared.broker import make_broker
from shared.db import Database
from shared.events import DeadLetter
from shared.kafka_connection import KafkaConnection
from shared.settings import ServiceSettings
from shared.topics import SOURCES_DUE
from tests.asgi_server import serving
from tests.infra import KAFKA
from tests.integration.fetcher.local_sources import local_sources_yaml
from tests.processes import running_service
from tests.waiting import eventually, eventually_async

SOURCES = 12
ANSWER_SECONDS = 1.0  # each feed takes this long: polls made one at a time never overlap


class SlowFeeds:
    """Feeds that answer after a second, counting the requests in flight."""

    def __init__(self) -> None:
        self.in_flight: Counter[str] = Counter()
        self.most_at_once = 0
        self.most_of_one_source_at_once = 0
        self.polled: Counter[str] = Counter()

    async def feed(self, request: Request) -> Response:
        source = request.path_params["source"]
        self.in_flight[source] += 1
        self.most_at_once = max(self.most_at_once, self.in_flight.total())
        self.most_of_one_source_at_once = max(
            self.most_of_one_source_at_once, self.in_flight[source]
        )
        try:
            await asyncio.sleep(ANSWER_SECONDS)
        finally:
            self.in_flight[source] -= 1
        self.polled[source] += 1
        channel = f"<channel><title>{source}</title></channel>"
        return Response(f"<rss version='2.0'>{channel}</rss>", media_type="application/rss+xml")

    def app(self) -> Starlette:
        return Starlette(routes=[Route("/feeds/{source}.xml", self.feed)])


def sources_yaml(base: str) -> str:
    return local_sources_yaml(
        (f"slow-{n}", f"Slow {n}", f"{base}/feeds/slow-{n}.xml") for n in range(SOURCES)
    )


@pytest.mark.timeout(120)
async def test_a_replica_polls_sources_of_different_partitions_at_once_one_source_at_a_time(
    database: Database, tmp_path: Path
):
    feeds = SlowFeeds()
    poison = f"not a SourceDue {uuid.uuid4().hex}".encode()
    writer = make_broker(ServiceSettings(kafka_bootstrap_servers=KAFKA), "test-writer")
    async with serving(feeds.app()) as base:
        sources_file = tmp_path / "sources.yaml"
        sources_file.write_text(sources_yaml(base))
        settings = {
            "sources_file": str(sources_file),
            "concurrent_polls": "4",
            "per_host_concurrency": "16",
            "host_delay_seconds": "0",
            "schedule_tick_seconds": "0.2",
        }
        async with running_service("fetcher", database.db.name, **settings), writer:
            await writer.start()
            # On the partition of a source's polls: the polls after it go on.
            await writer.publish(poison, SOURCES_DUE, key=b"slow-0")
            await eventually(
                lambda: len(feeds.polled) == SOURCES and min(feeds.polled.values()) >= 2,
                within=60,
                what="two polls of every source",
            )

            async def poison_letters() -> list[DeadLetter]:
                found = letters(KafkaConnection(KAFKA), SOURCES_DUE)
                return [item.letter async for item in found if item.letter.original == poison]

            async def dead_lettered() -> bool:
                return bool(await poison_letters())

            await eventually_async(dead_lettered, within=30, what="the poison's dead letter")
            [letter] = await poison_letters()

    # Twelve sources of a second each, polled one at a time, would never overlap.
    assert feeds.most_at_once >= 2
    assert feeds.most_of_one_source_at_once == 1
    assert letter.error.startswith("invalid event")
