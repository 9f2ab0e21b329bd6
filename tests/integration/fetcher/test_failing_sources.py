"""A failing source waits longer after each failure, honours Retry-After, and is
quarantined after too many failures in a row: visible in its state and its metrics."""

from __future__ import annotations

import json
import uuid
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta

import pytest
from prometheus_client import REGISTRY
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Mount, Route

from services.fetcher.fetcher import Fetcher, PollReport
from services.fetcher.http import PoliteClient
from services.fetcher.settings import FetcherSettings
from services.fetcher.sources import SourceConfig
from services.fetcher.store import SeenUrls, SourceStore
from shared.broker import make_broker
from shared.db import Database
from shared.events import ArticleFetched
from shared.topics import ARTICLES_RAW
from tests.asgi_server import serving
from tests.infra import KAFKA
from tests.processes import group_at_end
from tests.waiting import eventually


async def unavailable(request: Request) -> Response:
    return Response("down for maintenance", 503, headers={"retry-after": "900"})


async def broken(request: Request) -> Response:
    return Response("oops", 500)


async def no_emit(article: object) -> None:
    raise AssertionError("a failing source emits nothing")


async def test_backoff_retry_after_and_quarantine(database: Database):
    app = Starlette(routes=[Route("/503.xml", unavailable), Route("/500.xml", broken)])
    settings = FetcherSettings(
        failure_backoff_seconds=60, quarantine_after_failures=3, quarantine_seconds=3600
    )
    async with serving(app) as base:
        sources = SourceStore(database)
        await sources.sync(
            [
                SourceConfig(id="busy", name="Busy", url=f"{base}/503.xml", local=True),
                SourceConfig(id="broken", name="Broken", url=f"{base}/500.xml", local=True),
            ]
        )
        client = PoliteClient.from_settings(settings)
        fetcher = Fetcher(sources, SeenUrls(database), client, no_emit, settings)
        now = datetime.now(UTC)
        try:
            await fetcher.poll("busy", now=now)
            waits = []
            for _ in range(3):
                report = await fetcher.poll("broken", now=now)
                state = await sources.get("broken")
                assert state is not None
                assert state.next_poll_at is not None
                waits.append(round((state.next_poll_at - now).total_seconds()))
            quarantined_poll = await fetcher.poll("broken", now=now)
        finally:
            await client.close()

    busy = await sources.get("busy")
    assert busy is not None
    assert busy.next_poll_at is not None
    assert busy.next_poll_at - now >= timedelta(seconds=899)  # Retry-After over the 60 s backoff
    assert busy.last_error == f"status: HTTP 503 from {base}/503.xml"
    # Doubling, less up to half of it (jitter), then the quarantine's rest.
    assert 30 <= waits[0] <= 60
    assert 60 <= waits[1] <= 120
    assert waits[2] == 3600
    broken_state = await sources.get("broken")
    assert broken_state is not None
    assert broken_state.failures == 3
    assert broken_state.quarantined_until is not None
    assert round((broken_state.quarantined_until - now).total_seconds()) == 3600
    assert report.status == "failed"
    assert quarantined_poll.status == "quarantined"
    assert REGISTRY.get_sample_value("pressroom_source_quarantined", {"source": "broken"}) == 1


async def poll_once(
    database: Database,
    source_id: str,
    url: str,
    emit: Callable[[ArticleFetched], Awaitable[None]],
    settings: FetcherSettings | None = None,
    now: datetime | None = None,
) -> tuple[PollReport, SourceStore]:
    """One poll of a source of `url` (feed only, no pages), its events to `emit`."""
    settings = settings or FetcherSettings()
    sources = SourceStore(database)
    await sources.sync(
        [SourceConfig(id=source_id, name=source_id, url=url, local=True, fetch_pages=False)]
    )
    client = PoliteClient.from_settings(settings)
    fetcher = Fetcher(sources, SeenUrls(database), client, emit, settings)
    try:
        return await fetcher.poll(source_id, now=now), sources
    finally:
        await client.close()


async def mixed_feed(request: Request) -> Response:
    """Good entries around one whose link no URL parser takes, one with no link, and one
    twice, under a language no tag is."""
    base = str(request.base_url).rstrip("/")
    items = [
        ("Good one", f"{base}/a/1"),
        ("A port out of range", "http://127.0.0.1:99999/a/2"),
        ("Bell\x07 and \x0bvertical tab", f"{base}/a/3"),
        ("No link at all", ""),
        ("Good two", f"{base}/a/4"),
        ("Good two", f"{base}/a/4"),
    ]
    body = "".join(
        f"<item><title>{title}</title><link>{link}</link>"
        f"<description>{title}: enough words of its own to stand for a page.</description></item>"
        for title, link in items
    )
    return Response(
        f"<rss version='2.0'><channel><title>Mixed</title><language>{'x' * 40}</language>"
        f"{body}</channel></rss>",
        media_type="application/rss+xml",
    )


async def test_one_bad_entry_is_one_bad_entry_and_control_characters_never_pass(
    database: Database,
):
    emitted: list[ArticleFetched] = []

    async def emit(article: ArticleFetched) -> None:
        emitted.append(article)

    async with serving(Starlette(routes=[Route("/mixed.xml", mixed_feed)])) as base:
        report, sources = await poll_once(database, "mixed", f"{base}/mixed.xml", emit)

    assert report.status == "ok"
    titles = {a.title: a for a in emitted}
    assert set(titles) == {"Good one", "Bell and vertical tab", "Good two"}
    # The feed's 40-letter "language" is no tag (not a failed poll): the text tells it.
    assert {a.language for a in emitted} == {"en"}
    counted = {
        outcome: REGISTRY.get_sample_value(
            "pressroom_fetch_entries_total", {"source": "mixed", "outcome": outcome}
        )
        for outcome in ("emitted", "unusable", "repeated")
    }
    # The port out of range and the missing link are no http(s) links: unusable items.
    assert counted == {"emitted": 3, "unusable": 2, "repeated": 1}
    for article in emitted:
        assert not any(ord(c) < 32 and c not in "\t\n\r" for c in article.title + article.text)
    state = await sources.get("mixed")
    assert state is not None
    assert state.failures == 0


async def test_a_poll_that_fails_unexpectedly_is_a_source_failure_with_backoff(
    database: Database,
):
    async def emit(article: ArticleFetched) -> None:
        raise RuntimeError("a bug in emitting")

    settings = FetcherSettings(failure_backoff_seconds=60)
    now = datetime.now(UTC)
    async with serving(Starlette(routes=[Route("/mixed.xml", mixed_feed)])) as base:
        report, sources = await poll_once(
            database, "buggy", f"{base}/mixed.xml", emit, settings, now=now
        )

    assert report.status == "failed"
    state = await sources.get("buggy")
    assert state is not None
    assert state.failures == 1
    assert (state.last_error or "").startswith("internal: RuntimeError: a bug in emitting")
    assert state.next_poll_at is not None
    assert 30 <= round((state.next_poll_at - now).total_seconds()) <= 60  # the first backoff


async def huge_entry_feed(request: Request) -> Response:
    """A 2 MB JSON Feed entry built to overflow an event: 300,000 control characters (six
    bytes each once escaped in JSON), 2,000 authors, and words, then an ordinary entry."""
    base = str(request.url).rsplit("/", 1)[0]  # where the feed is, mount path and all
    hostile = {
        "url": f"{base}/h/1",
        "title": "A two-megabyte entry",
        "content_text": "Word after word of a hostile entry. " + "\x01" * 300_000 + "End." * 100,
        "authors": [{"name": f"Author number {n}"} for n in range(2000)],
    }
    following = {"url": f"{base}/h/2", "title": "The next entry", "content_text": "Short."}
    feed = {"version": "https://jsonfeed.org/version/1.1", "items": [hostile, following]}
    return Response(json.dumps(feed), media_type="application/feed+json")


@pytest.mark.timeout(120)
async def test_a_two_megabyte_entry_goes_through_the_real_broker_cut_and_the_next_follows(
    database: Database,
):
    run = uuid.uuid4().hex[:8]
    settings = FetcherSettings(kafka_bootstrap_servers=KAFKA, max_body_bytes=3_000_000)
    received: list[ArticleFetched] = []
    broker = make_broker(settings, "test-fetcher")
    group = await group_at_end(f"test-{run}", ARTICLES_RAW)

    @broker.subscriber(ARTICLES_RAW, group_id=group, auto_offset_reset="earliest")
    async def read(article: ArticleFetched) -> None:
        if f"/{run}/" in article.canonical_url:
            received.append(article)

    async def emit(article: ArticleFetched) -> None:
        await broker.publish(article, ARTICLES_RAW, key=b"one-partition")

    app = Starlette(routes=[Mount(f"/{run}", routes=[Route("/huge.json", huge_entry_feed)])])
    async with serving(app) as base, broker:
        await broker.start()
        report, _ = await poll_once(
            database, f"huge-{run}", f"{base}/{run}/huge.json", emit, settings
        )
        await eventually(lambda: len(received) == 2, within=60, what="both entries read back")

    assert report.status == "ok"
    huge, following = sorted(received, key=lambda a: a.title)
    assert huge.title == "A two-megabyte entry"
    assert len(huge.model_dump_json().encode()) <= settings.max_event_bytes
    assert huge.text.startswith("Word after word of a hostile entry. End.")  # no \x01 left
    assert len(huge.authors) <= 20
    assert following.title == "The next entry"
