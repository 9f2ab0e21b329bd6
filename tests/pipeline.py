"""The whole pipeline as separate processes on one database, fed by the local news server:
what the end-to-end and fault tests (and the benchmark) drive."""

from __future__ import annotations

import asyncio
import subprocess
from collections import Counter, defaultdict
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from aiokafka import AIOKafkaConsumer
from aiokafka.admin import AIOKafkaAdminClient

from services.deduplicator.deduplicator import Deduplicator
from services.deduplicator.journal import Journal
from services.deduplicator.settings import DeduplicatorSettings
from services.deduplicator.state import DedupState
from services.demo.feed_server import NewsServer
from shared.db import Database, count_matching
from shared.events import StoryUpdated
from shared.kafka_connection import KafkaConnection
from shared.topic_admin import partitions_of
from tests.infra import KAFKA, REPO
from tests.processes import (
    ServiceProcess,
    consumed_topics,
    consumer_group_in_test,
    start_service,
)

PIPELINE = ("fetcher", "deduplicator", "summarizer", "publisher", "site")
INFRA = REPO / "deploy" / "local" / "infra.sh"

FAST = {
    "fetcher": {
        "host_delay_seconds": "0",
        "per_host_concurrency": "8",
        "schedule_tick_seconds": "0.2",
        "max_new_entries_per_poll": "500",
        "failure_backoff_seconds": "2",
    },
    # A killed summarizer's claim on a story lapses after this long.
    "summarizer": {"coalesce_seconds": "0.5", "summary_lease_seconds": "10"},
    "site": {"page_cache_seconds": "5"},
}


@dataclass
class Pipeline:
    database: str
    sources_file: Path
    settings: dict[str, dict[str, str]] = field(default_factory=dict)  # beyond `base`
    # What the services run with, the defaults aside: FAST for the tests; the bench's own.
    base: Mapping[str, Mapping[str, str]] = field(default_factory=lambda: FAST)
    services: dict[str, ServiceProcess] = field(default_factory=dict)
    restarts: defaultdict[str, int] = field(default_factory=lambda: defaultdict(int))

    async def start(self, name: str) -> ServiceProcess:
        settings = {
            "sources_file": str(self.sources_file),
            **self.base.get(name, {}),
            **self.settings.get(name, {}),
        }
        self.services[name] = await start_service(name, self.database, **settings)
        return self.services[name]

    async def start_all(self) -> None:
        # Every start runs to its end before a failure is raised, so that `stop_all` sees
        # each process started (a failure at once left the others starting unseen, and
        # running after the run).
        started = await asyncio.gather(
            *(self.start(name) for name in PIPELINE), return_exceptions=True
        )
        for outcome in started:
            if isinstance(outcome, BaseException):
                raise outcome

    async def kill_and_restart(self, name: str) -> None:
        """kill -9, then the same service again."""
        self.services[name].kill()
        self.restarts[name] += 1
        await self.start(name)

    async def terminate_and_restart(self, name: str) -> bool:
        """SIGTERM (graceful), then the same service again; whether it stopped gracefully."""
        graceful = self.services[name].terminate()
        self.restarts[name] += 1
        await self.start(name)
        return graceful

    async def lags(self) -> dict[str, list[int]]:
        """Per consumer group and topic of the run, the messages not committed in each
        partition, where any are: a partition that stalled stands out."""
        admin = AIOKafkaAdminClient(bootstrap_servers=KAFKA)
        consumer = AIOKafkaConsumer(bootstrap_servers=KAFKA, enable_auto_commit=False)
        await admin.start()
        await consumer.start()
        try:
            lags = {}
            for name in PIPELINE:
                group = consumer_group_in_test(name, self.database)
                for each_group, topic in consumed_topics(name, group):
                    committed = await admin.list_consumer_group_offsets(each_group)
                    ends = await consumer.end_offsets(
                        await partitions_of(KafkaConnection(KAFKA), topic)
                    )
                    behind = [
                        end - (committed[p].offset if p in committed else 0)
                        for p, end in sorted(ends.items())
                    ]
                    if any(behind):
                        lags[f"{each_group} {topic}"] = behind
            return lags
        finally:
            await consumer.stop()
            await admin.close()

    def stop_all(self) -> None:
        for service in self.services.values():
            if service.process.poll() is None:
                service.terminate()


async def restart_infrastructure(part: str) -> None:
    """Stop the Kafka broker or the database and start it again (deploy/local/infra.sh)."""
    process = await asyncio.create_subprocess_exec(
        str(INFRA), "restart", part, stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT
    )
    assert await process.wait() == 0, f"infra.sh restart {part} failed"


async def pipeline_state(database: Database) -> dict[str, Any]:
    """What the pipeline holds: articles emitted, their stories, the posts."""
    db = database
    emitted = {
        d["canonical_url"] async for d in db.collection("fetcher_seen").find({"outcome": "emitted"})
    }
    posts = {d["_id"]: d async for d in db.collection("posts").find()}
    return {"emitted": emitted, "stories": await stories_in(database), "posts": posts}


async def stories_in(database: Database) -> dict[str, StoryUpdated]:
    """Every story the deduplicators made (and did not withdraw), rebuilt from their journal,
    with all articles."""
    state = await journal_state(database)
    stories = (state.story_event(story_id) for story_id in state.stories)
    return {story.story_id: story for story in stories if not story.withdrawn}


async def journal_state(database: Database) -> DedupState:
    """The deduplicators' state as their journal alone rebuilds it."""
    deduplicator = Deduplicator(
        Journal(database), DeduplicatorSettings(max_story_articles=50, max_article_chars=200)
    )
    await deduplicator.catch_up()
    return deduplicator.state


async def journal_report(database: Database, posts: dict[str, Any]) -> str:
    """How far the deduplicators' journal goes, how far reading it from the start goes, and
    where it puts the articles and posts the live stories leave out: what tells a journal
    that ends early from a read that does, or from a state that is rebuilt otherwise."""
    entries = Journal(database).entries
    count = await count_matching(entries, {})
    last = await entries.find_one({}, {"_id": 1}, sort=[("_id", -1)])
    state = await journal_state(database)
    live = {i for i, story in state.stories.items() if story.merged_into is None}
    outside = Counter(
        "in no story" if seen.story_id not in state.stories else "in a withdrawn story"
        for seen in state.articles.values()
        if seen.story_id not in live
    )
    orphans = Counter(
        "withdrawn" if story_id in state.stories else "unknown to the journal"
        for story_id in posts
        if story_id not in live
    )
    return (
        f"journal entries {count}, last {last and last['_id']}, read {state.position}, "
        f"clock {state.clock}, "
        f"articles {len(state.articles)} ({dict(outside)} outside the live stories), "
        f"posts of no live story: {dict(orphans)}"
    )


def released_urls(news: NewsServer, base: str) -> set[str]:
    return {f"{base}/articles/{a.slug}" for a in news.released()}
