"""A failing source waits longer after each failure, honours Retry-After, and is
quarantined after too many failures in a row: visible in its state and its metrics."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from prometheus_client import REGISTRY
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from services.fetcher.fetcher import Fetcher
from services.fetcher.http import PoliteClient
from services.fetcher.settings import FetcherSettings
from services.fetcher.sources import SourceConfig
from services.fetcher.store import SeenUrls, SourceStore
from shared.db import Database
from shared.events import ArticleFetched
from tests.asgi_server import serving


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
    assert waits == [60, 120, 3600]  # doubling, then the quarantine's rest
    broken_state = await sources.get("broken")
    assert broken_state is not None
    assert broken_state.failures == 3
    assert broken_state.quarantined_until is not None
    assert round((broken_state.quarantined_until - now).total_seconds()) == 3600
    assert report.status == "failed"
    assert quarantined_poll.status == "quarantined"
    assert REGISTRY.get_sample_value("pressroom_source_quarantined", {"source": "broken"}) == 1


async def mixed_feed(request: Request) -> Response:
    """Good entries around one whose link no URL parser takes, under a language no tag is."""
    base = str(request.base_url).rstrip("/")
    items = [
        ("Good one", f"{base}/a/1"),
        ("A port out of range", "http://127.0.0.1:99999/a/2"),
        ("Bell\x07 and \x0bvertical tab", f"{base}/a/3"),
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

    settings = FetcherSettings()
    async with serving(Starlette(routes=[Route("/mixed.xml", mixed_feed)])) as base:
        sources = SourceStore(database)
        config = SourceConfig(
            id="mixed", name="Mixed", url=f"{base}/mixed.xml", local=True, fetch_pages=False
        )
        await sources.sync([config])
        client = PoliteClient.from_settings(settings)
        fetcher = Fetcher(sources, SeenUrls(database), client, emit, settings)
        try:
            report = await fetcher.poll("mixed")
        finally:
            await client.close()

    assert report.status == "ok"
    titles = {a.title: a for a in emitted}
    assert set(titles) == {"Good one", "Bell and vertical tab", "Good two"}
    assert {a.language for a in emitted} == {None}  # unknown, not a failed poll
    assert (
        REGISTRY.get_sample_value(
            "pressroom_fetch_entries_total", {"source": "mixed", "outcome": "emitted"}
        )
        == 3
    )
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
    async with serving(Starlette(routes=[Route("/mixed.xml", mixed_feed)])) as base:
        sources = SourceStore(database)
        config = SourceConfig(
            id="buggy", name="Buggy", url=f"{base}/mixed.xml", local=True, fetch_pages=False
        )
        await sources.sync([config])
        client = PoliteClient.from_settings(settings)
        fetcher = Fetcher(sources, SeenUrls(database), client, emit, settings)
        now = datetime.now(UTC)
        try:
            report = await fetcher.poll("buggy", now=now)
        finally:
            await client.close()

    assert report.status == "failed"
    state = await sources.get("buggy")
    assert state is not None
    assert state.failures == 1
    assert (state.last_error or "").startswith("internal: RuntimeError: a bug in emitting")
    assert state.next_poll_at is not None
    assert round((state.next_poll_at - now).total_seconds()) == 60
