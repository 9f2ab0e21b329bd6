"""Polls that leave nothing behind: the entries a poll's cap leaves over are read by the
next polls, not hidden behind an unchanged feed's ETag; a poll the broker could not
announce is due again at once, and one claimed by a process killed before announcing it
within a minute, not when a poll's claim runs out."""

from __future__ import annotations

import asyncio
import hashlib
from datetime import UTC, datetime, timedelta

import pytest
from aiokafka.errors import KafkaConnectionError
from pymongo.errors import AutoReconnect
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from services.fetcher.scheduler import Scheduler
from services.fetcher.settings import FetcherSettings
from services.fetcher.sources import SourceConfig
from services.fetcher.store import ANNOUNCING, CLAIMED_AT_ONCE, SourceStore
from shared.db import Database
from shared.events import ArticleFetched, SourceDue
from shared.metrics import registry
from tests.asgi_server import serving
from tests.infra import postgresql_connections_kept
from tests.integration.fetcher.test_failing_sources import poll_once


async def steady_feed(request: Request) -> Response:
    """Five entries that never change, with an ETag honoured as a real server does."""
    base = str(request.base_url).rstrip("/")
    items = "".join(
        f"<item><title>Entry {n}</title><link>{base}/a/{n}</link>"
        f"<description>Entry {n} has words of its own.</description></item>"
        for n in range(5)
    )
    body = f"<rss version='2.0'><channel><title>Steady</title>{items}</channel></rss>"
    etag = '"' + hashlib.sha1(body.encode()).hexdigest()[:12] + '"'
    if request.headers.get("if-none-match") == etag:
        return Response(status_code=304, headers={"etag": etag})
    return Response(body, media_type="application/rss+xml", headers={"etag": etag})


async def test_entries_past_the_cap_of_one_poll_are_read_by_the_next_though_the_feed_is_unchanged(
    database: Database,
):
    emitted: list[ArticleFetched] = []

    async def emit(article: ArticleFetched) -> None:
        emitted.append(article)

    settings = FetcherSettings(max_new_entries_per_poll=2)
    async with serving(Starlette(routes=[Route("/feed.xml", steady_feed)])) as base:
        reports = [
            (await poll_once(database, "steady", f"{base}/feed.xml", emit, settings))[0]
            for _ in range(4)
        ]

    assert sorted(a.title for a in emitted) == [f"Entry {n}" for n in range(5)]
    assert [r.emitted for r in reports] == [2, 2, 1, 0]
    assert reports[-1].status == "not_modified"  # once all are read, the ETag serves again


async def test_a_poll_the_broker_could_not_announce_is_due_again_at_once(database: Database):
    sources = SourceStore(database)
    await sources.sync([SourceConfig(id="wire", name="Wire", url="https://wire.example/feed")])
    announced: list[SourceDue] = []

    async def broker_restarting(due: SourceDue) -> None:
        raise KafkaConnectionError("the broker is restarting")

    async def broker_back(due: SourceDue) -> None:
        announced.append(due)

    with pytest.raises(KafkaConnectionError):
        await Scheduler(sources, broker_restarting, tick_seconds=1).announce_due()
    assert await Scheduler(sources, broker_back, tick_seconds=1).announce_due() == 1

    assert [due.source_id for due in announced] == ["wire"]


def _source_commands() -> float:
    return sum(
        sample.value
        for metric in registry.collect()
        if metric.name == "pressroom_database_seconds"
        for sample in metric.samples
        if sample.name.endswith("_count") and sample.labels["collection"] == "sources"
    )


def _wires(count: int) -> list[SourceConfig]:
    return [
        SourceConfig(id=f"wire-{n}", name=f"Wire {n}", url=f"https://wire{n}.example/feed")
        for n in range(count)
    ]


async def test_a_tick_announces_every_due_source_in_a_few_commands(database: Database):
    sources = SourceStore(database)
    await sources.sync(_wires(20))
    announced: list[str] = []

    async def announce(due: SourceDue) -> None:
        announced.append(due.source_id)

    before = _source_commands()
    assert await Scheduler(sources, announce, tick_seconds=1).announce_due() == 20

    assert sorted(announced) == sorted(f"wire-{n}" for n in range(20))
    # Found, claimed, read back, held in flight: not one command more per source.
    assert _source_commands() - before == 4


async def test_replicas_ticking_together_announce_each_due_source_once(database: Database):
    sources = SourceStore(database)
    await sources.sync(_wires(30))
    announced: list[str] = []

    async def announce(due: SourceDue) -> None:
        await asyncio.sleep(0)  # let the other replica's claim in between
        announced.append(due.source_id)

    replicas = [Scheduler(SourceStore(database), announce, tick_seconds=1) for _ in range(3)]
    counts = await asyncio.gather(*(r.announce_due() for r in replicas))

    assert sum(counts) == 30
    assert sorted(announced) == sorted(f"wire-{n}" for n in range(30))


async def test_an_announcement_refused_among_others_leaves_only_its_source_due(
    database: Database,
):
    sources = SourceStore(database)
    await sources.sync(_wires(3))
    announced: list[str] = []

    async def broker_refusing_wire_1(due: SourceDue) -> None:
        if due.source_id == "wire-1":
            raise KafkaConnectionError("the broker went away")
        announced.append(due.source_id)

    async def broker_back(due: SourceDue) -> None:
        announced.append(due.source_id)

    with pytest.raises(KafkaConnectionError):
        await Scheduler(sources, broker_refusing_wire_1, tick_seconds=1).announce_due()
    assert await Scheduler(sources, broker_back, tick_seconds=1).announce_due() == 1

    assert sorted(announced) == ["wire-0", "wire-1", "wire-2"]


class ReplyLost(SourceStore):
    """The database restarting as it answers: the claim is made, its reply never arrives."""

    async def claim_due(
        self, claim: str, now: datetime | None = None, most: int = CLAIMED_AT_ONCE
    ) -> list[str]:
        await super().claim_due(claim, now, most)
        raise AutoReconnect("127.0.0.1:27017: connection is already closed")


async def test_a_claim_whose_reply_was_lost_is_due_again_at_the_next_tick(database: Database):
    """Seen in the fault test: FerretDB restarted as it answered a claim, and the source
    waited out its 15-minute claim with new articles in its feed."""
    await SourceStore(database).sync(
        [SourceConfig(id="wire", name="Wire", url="https://wire.example/feed")]
    )
    announced: list[SourceDue] = []

    async def announce(due: SourceDue) -> None:
        announced.append(due)

    scheduler = Scheduler(ReplyLost(database), announce, tick_seconds=1)
    with pytest.raises(AutoReconnect):
        await scheduler.announce_due()
    scheduler.sources = SourceStore(database)  # the database is back
    assert await scheduler.announce_due() == 1

    assert [due.source_id for due in announced] == ["wire"]


async def test_a_claim_never_announced_is_due_again_within_a_minute_an_announced_one_is_not(
    database: Database,
):
    """Seen in the fault test: a fetcher killed as it announced its first tick left one
    source claimed and never announced, and its new articles waited 15 minutes."""
    sources = SourceStore(database)
    killed_at = datetime.now(UTC) - ANNOUNCING - timedelta(seconds=1)
    await sources.sync(
        [
            SourceConfig(id="wire", name="Wire", url="https://wire.example/feed"),
            SourceConfig(id="desk", name="Desk", url="https://desk.example/feed"),
        ],
        now=killed_at,
    )
    assert len(await sources.claim_due("killed before announcing", now=killed_at, most=1)) == 1
    announced: list[SourceDue] = []

    async def announce(due: SourceDue) -> None:
        announced.append(due)

    scheduler = Scheduler(sources, announce, tick_seconds=1)
    assert await scheduler.announce_due() == 2  # the orphaned claim ran out; the other due
    assert await scheduler.announce_due() == 0  # both announced: held while they are polled

    assert sorted(due.source_id for due in announced) == ["desk", "wire"]


async def test_a_poll_that_finished_before_its_announcement_was_confirmed_keeps_its_schedule(
    database: Database,
):
    sources = SourceStore(database)
    await sources.sync([SourceConfig(id="wire", name="Wire", url="https://wire.example/feed")])
    now = datetime.now(UTC)
    assert await sources.claim_due("quick", now=now) == ["wire"]
    await sources.record_success(
        "wire",
        next_poll_at=now + timedelta(seconds=60),
        etag=None,
        last_modified=None,
        emitted=0,
        now=now,
    )
    await sources.announced(["wire"], "quick", now=now)  # late: the poll is done

    assert await sources.claim_due("next", now=now + timedelta(seconds=59)) == []
    assert await sources.claim_due("next", now=now + timedelta(seconds=61)) == ["wire"]


async def test_a_scheduler_looking_for_due_sources_keeps_its_database_connections(
    database: Database,
):
    """A replica looks every second: on FerretDB, a look that closed its PostgreSQL
    connection cost a new backend each time (22 ms of PostgreSQL's CPU)."""
    sources = SourceStore(database)
    await sources.sync([SourceConfig(id="wire", name="Wire", url="https://wire.example/feed")])
    later = datetime.now(UTC) - timedelta(hours=1)  # nothing due yet
    with postgresql_connections_kept():
        for _ in range(10):
            assert await sources.claim_due("look", now=later) == []


def _seen_writes() -> float:
    return (
        registry.get_sample_value(
            "pressroom_database_seconds_count", {"command": "update", "collection": "fetcher_seen"}
        )
        or 0.0
    )


async def test_a_polls_new_entries_are_remembered_in_one_command(database: Database):
    emitted: list[ArticleFetched] = []

    async def emit(article: ArticleFetched) -> None:
        emitted.append(article)

    before = _seen_writes()
    async with serving(Starlette(routes=[Route("/feed.xml", steady_feed)])) as base:
        await poll_once(database, "steady", f"{base}/feed.xml", emit)
    seen = database.collection("fetcher_seen")

    assert len(emitted) == 5
    assert await seen.count_documents({"source_id": "steady", "outcome": "emitted"}) == 5
    assert _seen_writes() - before == 1


async def test_entries_emitted_before_the_broker_failed_are_remembered_and_not_emitted_again(
    database: Database,
):
    """The broker refuses one entry's event: the poll fails, the others are remembered,
    and the next poll emits only the one refused."""
    emitted: list[str] = []

    async def broker_refusing_entry_2(article: ArticleFetched) -> None:
        if article.title == "Entry 2" and "Entry 2" not in failed:
            failed.append(article.title)
            raise KafkaConnectionError("the broker went away")
        emitted.append(article.title)

    failed: list[str] = []
    async with serving(Starlette(routes=[Route("/feed.xml", steady_feed)])) as base:
        with pytest.raises(KafkaConnectionError):
            await poll_once(database, "steady", f"{base}/feed.xml", broker_refusing_entry_2)
        assert sorted(emitted) == ["Entry 0", "Entry 1", "Entry 3", "Entry 4"]
        report, _ = await poll_once(database, "steady", f"{base}/feed.xml", broker_refusing_entry_2)

    assert report.emitted == 1
    assert sorted(emitted) == [f"Entry {n}" for n in range(5)]
