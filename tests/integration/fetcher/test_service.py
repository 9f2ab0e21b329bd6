"""The fetcher as its own process, over the real broker and database, polling the local
news server (real articles from ../shared/eval) and a row of misbehaving feeds and pages."""

from __future__ import annotations

import asyncio
import uuid
from collections import Counter
from pathlib import Path

import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Mount, Route

from services.demo.feed_server import (
    DEFAULT_DATA,
    NewsServer,
    read_articles,
    site_base,
)
from services.fetcher.sources import source_id_for
from services.fetcher.store import SourceStore
from shared.broker import make_broker
from shared.db import Database
from shared.events import ArticleFetched
from shared.settings import ServiceSettings
from shared.topics import ARTICLES_RAW
from shared.version import VERSION
from tests.asgi_server import serving
from tests.eval_data import require
from tests.infra import KAFKA
from tests.integration.fetcher.local_sources import local_sources_yaml
from tests.processes import group_at_end, metric_samples, running_service
from tests.waiting import eventually, eventually_async

OUTLETS = ("Reuters", "Fox News", "New York Times (News)")
LATER = 4  # articles released only after the fetcher restarts
GERMAN = (
    "Die Bürger von Köln und München haben am Sonntag gewählt, und die Wahlbeteiligung "
    "lag höher als erwartet in allen Bezirken der Städte."
)


def fault_routes() -> list[Route]:
    """Feeds and pages that go wrong in the ways real ones do."""

    async def malformed(request: Request) -> Response:
        return Response("<html><body>Our feed has moved.</body></html>", media_type="text/html")

    async def server_error(request: Request) -> Response:
        return Response("oops", 500)

    async def slow(request: Request) -> Response:
        await asyncio.sleep(8)
        return Response("<rss version='2.0'><channel></channel></rss>")

    async def huge(request: Request) -> Response:
        return Response(b"<rss>" + b" " * 3_000_000 + b"</rss>", media_type="application/rss+xml")

    async def mixed(request: Request) -> Response:
        base = site_base(request)

        def item(title: str, link: str) -> str:
            return (
                f"<item><title>{title}</title><link>{link}</link>"
                f"<description>{title}: the feed's own words about it, enough to stand "
                f"in for the page when the page cannot be had.</description></item>"
            )

        items = [
            item("Wrong charset page", f"{base}/faults/pages/latin1"),
            item("Metadata address", "http://169.254.169.254/latest/meta-data/"),
            item("Page answers 500", f"{base}/faults/pages/error"),
            item("Page too slow", f"{base}/faults/pages/slow"),
            item("Page too large", f"{base}/faults/pages/huge"),
        ]
        body = f"<rss version='2.0'><channel><title>Mixed</title>{''.join(items)}</channel></rss>"
        return Response(body, media_type="application/rss+xml")

    async def latin1_page(request: Request) -> Response:
        html = f"<html><body><article><h1>Wahl</h1><p>{GERMAN}</p></article></body></html>"
        return Response(html.encode("latin-1"), media_type="text/html; charset=utf-8")

    async def huge_page(request: Request) -> Response:
        return Response(b"<p>" + b"x" * 3_000_000, media_type="text/html")

    return [
        Route("/faults/malformed.xml", malformed),
        Route("/faults/500.xml", server_error),
        Route("/faults/slow.xml", slow),
        Route("/faults/huge.xml", huge),
        Route("/faults/mixed.xml", mixed),
        Route("/faults/pages/latin1", latin1_page),
        Route("/faults/pages/error", server_error),
        Route("/faults/pages/slow", slow),
        Route("/faults/pages/huge", huge_page),
    ]


def sources_yaml(base: str, outlets: list[str]) -> str:
    entries = [(source_id_for(o), o, f"{base}/feeds/{source_id_for(o)}.xml") for o in outlets]
    entries += [
        (f"fault-{n}", f"Fault {n}", f"{base}/faults/{n}.xml")
        for n in ("malformed", "500", "slow", "huge", "mixed")
    ]
    return local_sources_yaml(entries)


@pytest.mark.timeout(180)
async def test_every_article_reaches_articles_raw_once_across_polls_and_a_restart(
    database: Database, tmp_path: Path
):
    require(DEFAULT_DATA)
    articles = [a for a in read_articles(DEFAULT_DATA) if a.outlet in OUTLETS][:24]
    news = NewsServer(articles, initial=len(articles) - LATER)
    run = uuid.uuid4().hex[:8]
    received: list[ArticleFetched] = []
    broker = make_broker(ServiceSettings(kafka_bootstrap_servers=KAFKA), "test-reader")

    # From the end of the topic: what earlier tests left there is not ours to read.
    group = await group_at_end(f"test-{run}", ARTICLES_RAW)

    @broker.subscriber(ARTICLES_RAW, group_id=group, auto_offset_reset="earliest")
    async def read(article: ArticleFetched) -> None:
        if f"/{run}/" in article.canonical_url:
            received.append(article)

    app = Starlette(routes=[Mount(f"/{run}", app=news.app(fault_routes()))])
    async with serving(app) as root:
        base = f"{root}/{run}"
        sources_file = tmp_path / "sources.yaml"
        sources_file.write_text(sources_yaml(base, sorted({a.outlet for a in articles})))
        settings = {
            "sources_file": str(sources_file),
            "fetch_timeout_seconds": "3",
            "max_body_bytes": "1000000",
            "host_delay_seconds": "0.01",
            "per_host_concurrency": "4",
            # A failed poll is tried again soon: a feed that times out once on a busy
            # machine still delivers its articles within the test.
            "failure_backoff_seconds": "3",
            "schedule_tick_seconds": "0.2",
        }
        async with broker:
            await broker.start()
            expected_first = len(articles) - LATER + 4  # four of the mixed feed's five
            async with running_service("fetcher", database.db.name, **settings) as first:
                await eventually(
                    lambda: len(received) >= expected_first, within=60, what="the first articles"
                )
                await eventually_async(
                    lambda: saw_304(first.url), within=30, what="a 304 for an unchanged feed"
                )
                assert await build_info(first.url) == {"service": "fetcher", "version": VERSION}
                assert first.terminate()  # SIGTERM: the restart
                log = first.read_log()

            news.release_all()
            async with running_service("fetcher", database.db.name, **settings) as second:
                await eventually(
                    lambda: len(received) >= expected_first + LATER,
                    within=60,
                    what="the articles released after the restart",
                )
                # One more answered poll of every outlet's feed: nothing new comes of it.
                polled = await feed_responses(second.url)
                outlets = {source_id_for(a.outlet) for a in articles}

                async def polled_again() -> bool:
                    now = await feed_responses(second.url)
                    return all(now[o] > polled[o] for o in outlets)

                await eventually_async(polled_again, within=30, what="one more poll of each")

    counts = Counter(a.article_id for a in received)
    assert [i for i, n in counts.items() if n > 1] == []
    urls = {a.canonical_url for a in received}
    assert {f"{base}/articles/{a.slug}" for a in articles} <= urls
    by_title = {a.title: a for a in received}
    assert "Metadata address" not in by_title
    assert GERMAN in by_title["Wrong charset page"].text
    for title in ("Page answers 500", "Page too slow", "Page too large"):
        assert by_title[title].text.startswith(f"{title}: the feed's own words")
    reasons = [
        "malformed feed",
        "HTTP 500",
        "timed out",
        "over the cap",
        "link-local",
        "page answered with an error",
    ]
    assert [r for r in reasons if r not in log] == []
    states = {s.config.id: s for s in await SourceStore(database).all()}
    assert states["fault-malformed"].failures >= 1
    # Its last failure is the parse, or, on a busy machine, a fetch that timed out after it
    # (the log above shows the parse failure was met).
    assert (states["fault-malformed"].last_error or "").startswith(
        ("parse: malformed feed", "fetch:")
    )
    # The mixed feed's bad entries are its entries' problems, not the source's: its four
    # good ones were emitted and it has polled successfully. (Fetching the feed itself may
    # still time out on a busy machine: a fetch failure is the only kind it may show.)
    mixed = states["fault-mixed"]
    assert mixed.emitted == 4
    assert mixed.last_success_at is not None
    assert mixed.failures == 0 or (mixed.last_error or "").startswith("fetch: ")
    assert states[source_id_for(OUTLETS[0])].emitted > 0


async def feed_responses(url: str) -> Counter[str]:
    """How many answers to feed polls the fetcher at `url` has had, by source."""
    answered: Counter[str] = Counter()
    for sample in await metric_samples(url, "pressroom_fetch_responses_total"):
        if sample.labels["kind"] == "feed":
            answered[sample.labels["source"]] += int(sample.value)
    return answered


async def build_info(url: str) -> dict[str, str]:
    [info] = [s.labels for s in await metric_samples(url, "pressroom_build_info") if s.value == 1]
    return info


async def saw_304(url: str) -> bool:
    responses = await metric_samples(url, "pressroom_fetch_responses_total")
    return any(sample.labels["status"] == "304" for sample in responses)
