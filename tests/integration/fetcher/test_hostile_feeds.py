"""Hostile feeds and pages, served on loopback: each is refused or bounded, its reason
logged and counted, and the rest of its source processed.

The sources live on `feeds.test` (a local source's own host, resolved to 127.0.0.1 by the
injected resolver); `rebind.test` answers a public address to the first question and
loopback to every later one, as a DNS-rebinding name does.
"""

from __future__ import annotations

import asyncio
import gzip
import logging
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import UTC, datetime

import pytest
from prometheus_client import REGISTRY
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response, StreamingResponse
from starlette.routing import Route

from services.fetcher.fetcher import Fetcher, PollReport
from services.fetcher.http import PoliteClient
from services.fetcher.settings import FetcherSettings
from services.fetcher.sources import SourceConfig
from services.fetcher.store import SeenUrls, SourceStore
from shared.db import Database
from shared.events import ArticleFetched
from tests.asgi_server import serving

BOMB = gzip.compress(b"\0" * 64 * 2**20, compresslevel=9)  # 64 MiB in ~64 KB
METADATA = "http://169.254.169.254/latest/meta-data/iam/security-credentials/"
SETTINGS = FetcherSettings(
    fetch_timeout_seconds=2,
    fetch_deadline_seconds=3,
    max_body_bytes=3_000_000,
    host_delay_seconds=0,
    per_host_concurrency=4,
)


class Resolver:
    """feeds.test is loopback; rebind.test is public once, then loopback."""

    def __init__(self) -> None:
        self.asked: dict[str, int] = {}

    async def __call__(self, host: str, port: int) -> list[str]:
        self.asked[host] = self.asked.get(host, 0) + 1
        if host == "rebind.test" and self.asked[host] == 1:
            return ["93.184.215.14"]
        if host in ("feeds.test", "rebind.test"):
            return ["127.0.0.1"]
        raise OSError(f"{host}: no such name")


def rss(items: list[tuple[str, str]], *, doctype: str = "") -> str:
    body = "".join(
        f"<item><title>{title}</title><link>{link}</link>"
        f"<description>{title}: the feed's own words about it, enough to stand alone."
        "</description></item>"
        for title, link in items
    )
    return (
        f'<?xml version="1.0"?>{doctype}<rss version="2.0"><channel><title>Hostile</title>'
        f"{body}</channel></rss>"
    )


def page(title: str) -> str:
    words = " ".join(f"{title} is reported here in sentence number {n}." for n in range(40))
    return (
        f"<html><head><title>{title}</title></head>"
        f"<body><article><h1>{title}</h1><p>{words}</p></article></body></html>"
    )


async def hostile_links(request: Request) -> Response:
    """Good entries among links that lead inside, explode, never end or are not http."""
    port = request.url.port
    here = f"http://feeds.test:{port}"
    items = [
        ("Good one", f"{here}/a/good-one"),
        ("Rebinding page", f"http://rebind.test:{port}/a/inside"),
        ("Redirect to the metadata address", f"{here}/a/to-metadata"),
        ("Gzip bomb page", f"{here}/a/bomb"),
        ("Trickling page", f"{here}/a/trickle"),
        ("Huge headers page", f"{here}/a/huge-headers"),
        ("Script link", "javascript:alert(document.cookie)"),
        ("Data link", "data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg=="),
        ("Bell\x07 and escape\x1b in a title", f"{here}/a/controls"),
        ("Good two", f"{here}/a/good-two"),
    ]
    return Response(rss(items), media_type="application/rss+xml")


async def article(request: Request) -> Response:
    name = request.path_params["name"]
    return Response(page(name.replace("-", " ").capitalize()), media_type="text/html")


async def to_metadata(request: Request) -> Response:
    return RedirectResponse(METADATA, status_code=302)


async def bomb(request: Request) -> Response:
    return Response(BOMB, media_type="text/html", headers={"content-encoding": "gzip"})


async def trickle(request: Request) -> Response:
    async def forever() -> AsyncIterator[bytes]:
        yield b"<html><body>"
        while True:
            await asyncio.sleep(0.2)
            yield b" "

    return StreamingResponse(forever(), media_type="text/html")


async def huge_headers(request: Request) -> Response:
    return Response(page("Huge headers"), headers={"x-padding": "a" * 300_000})


async def laughs(request: Request) -> Response:
    entities = '<!ENTITY lol0 "lol">' + "".join(
        f'<!ENTITY lol{n} "{f"&lol{n - 1};" * 10}">' for n in range(1, 10)
    )
    here = f"http://feeds.test:{request.url.port}"
    items = [("&lol9;", f"{here}/a/laughing"), ("After the laughs", f"{here}/a/after")]
    return Response(rss(items, doctype=f"<!DOCTYPE rss [{entities}]>"), media_type="text/xml")


async def ten_thousand(request: Request) -> Response:
    here = f"http://feeds.test:{request.url.port}"
    items = [(f"Entry {n}", f"{here}/many/{n}") for n in range(10_000)]
    return Response(rss(items), media_type="application/rss+xml")


APP = Starlette(
    routes=[
        Route("/hostile-links.xml", hostile_links),
        Route("/a/to-metadata", to_metadata),
        Route("/a/bomb", bomb),
        Route("/a/trickle", trickle),
        Route("/a/huge-headers", huge_headers),
        Route("/a/{name}", article),
        Route("/bomb.xml", bomb),
        Route("/metadata.xml", to_metadata),
        Route("/trickle.xml", trickle),
        Route("/laughs.xml", laughs),
        Route("/ten-thousand.xml", ten_thousand),
    ]
)


@dataclass
class Polled:
    report: PollReport
    source_id: str
    emitted: list[ArticleFetched] = field(default_factory=list)

    def failures(self, kind: str) -> float:
        labels = {"source": self.source_id, "kind": kind}
        return REGISTRY.get_sample_value("pressroom_fetch_failures_total", labels) or 0

    def entries(self, outcome: str) -> float:
        labels = {"source": self.source_id, "outcome": outcome}
        return REGISTRY.get_sample_value("pressroom_fetch_entries_total", labels) or 0


@pytest.fixture
async def server() -> AsyncIterator[int]:
    async with serving(APP) as base:
        yield int(base.rsplit(":", 1)[1])


async def poll(database: Database, port: int, path: str, *, pages: bool = True) -> Polled:
    """One poll of a local source at feeds.test:`port``path`."""
    source_id = f"{path.strip('/').split('.')[0]}-{uuid.uuid4().hex[:6]}"
    sources = SourceStore(database)
    url = f"http://feeds.test:{port}{path}"
    await sources.sync(
        [SourceConfig(id=source_id, name=source_id, url=url, local=True, fetch_pages=pages)]
    )
    emitted: list[ArticleFetched] = []

    async def emit(event: ArticleFetched) -> None:
        emitted.append(event)

    client = PoliteClient.from_settings(SETTINGS, resolver=Resolver())
    fetcher = Fetcher(sources, SeenUrls(database), client, emit, SETTINGS)
    try:
        report = await fetcher.poll(source_id, now=datetime.now(UTC))
    finally:
        await client.close()
    return Polled(report, source_id, emitted)


def reasons(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [str(getattr(r, "reason", "")) for r in caplog.records]


async def test_links_that_lead_inside_explode_or_never_end_are_bounded_and_the_rest_emitted(
    database: Database, server: int, caplog: pytest.LogCaptureFixture
):
    caplog.set_level(logging.WARNING, logger="services.fetcher")
    polled = await poll(database, server, "/hostile-links.xml")

    assert polled.report.status == "ok"
    by_title = {event.title: event for event in polled.emitted}
    assert set(by_title) == {
        "Good one",
        "Rebinding page",
        "Redirect to the metadata address",
        "Gzip bomb page",
        "Trickling page",
        "Huge headers page",
        "Bell and escape in a title",
        "Good two",
    }
    # The good pages were read; each hostile one was not, and the feed's words stand in.
    assert "sentence number 39" in by_title["Good one"].text
    for title in ("Rebinding page", "Redirect to the metadata address", "Gzip bomb page"):
        assert by_title[title].text.startswith(f"{title}: the feed's own words"), title
    for title in ("Trickling page", "Huge headers page"):
        assert by_title[title].text.startswith(f"{title}: the feed's own words"), title
    for event in polled.emitted:
        assert not any(ord(c) < 32 and c not in "\t\n\r" for c in event.title + event.text)

    assert polled.failures("refused") == 2  # the rebinding name and the metadata redirect
    assert polled.failures("too_large") == 1
    assert polled.failures("fetch") == 2  # the trickle (cut at the deadline), the headers
    assert polled.entries("unusable") == 2  # javascript: and data:
    assert polled.entries("emitted") == 8
    logged = " | ".join(reasons(caplog))
    assert "rebind.test is a loopback address" in logged
    assert "169.254.169.254" in logged
    assert "decompresses past the cap" in logged
    assert "not read within 3 s" in logged
    assert "no http(s) link" in logged


@pytest.mark.parametrize(
    ("path", "kind", "said"),
    [
        ("/bomb.xml", "too_large", "decompresses past the cap"),
        ("/metadata.xml", "refused", "link-local"),
        ("/trickle.xml", "fetch", "not read within 3 s"),
    ],
)
async def test_a_hostile_feed_is_a_failed_poll_with_its_reason(
    database: Database, server: int, path: str, kind: str, said: str
):
    polled = await poll(database, server, path)
    assert polled.report.status == "failed"
    assert said in (polled.report.reason or "")
    assert polled.failures(kind) == 1
    assert polled.emitted == []


async def test_a_billion_laughs_feed_is_read_without_expanding_its_entities(
    database: Database, server: int
):
    polled = await poll(database, server, "/laughs.xml", pages=False)
    assert polled.report.status == "ok"
    titles = [event.title for event in polled.emitted]
    assert "After the laughs" in titles
    assert all(len(title) < 100 for title in titles)  # never "lol" a billion times
    assert polled.failures("recovered") == 1


async def test_a_ten_thousand_entry_feed_is_read_to_its_cap_and_the_rest_counted(
    database: Database, server: int
):
    polled = await poll(database, server, "/ten-thousand.xml", pages=False)
    assert polled.report.status == "ok", polled.report.reason
    assert len(polled.emitted) == SETTINGS.max_new_entries_per_poll
    assert polled.entries("unusable") == 10_000 - 500  # past the first 500 a feed is read
