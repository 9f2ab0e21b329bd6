"""One trace from a source's poll to the published post, across the real broker: the
fetcher, deduplicator, summarizer and publisher apps run in this process (so one
in-memory exporter sees every span), each with its own consumer groups."""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Any, TypeVar

import pytest
from faststream.asgi import AsgiFastStream
from opentelemetry import trace
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from services.deduplicator.app import create_app as deduplicator_app
from services.deduplicator.settings import DeduplicatorSettings
from services.fetcher.app import create_app as fetcher_app
from services.fetcher.settings import FetcherSettings
from services.publisher.app import create_app as publisher_app
from services.publisher.settings import PublisherSettings
from services.summarizer.app import create_app as summarizer_app
from services.summarizer.settings import SummarizerSettings
from shared.broker import subscriptions
from shared.db import Database
from shared.posts import POSTS
from shared.settings import ServiceSettings
from shared.topics import (
    ARTICLES_RAW,
    POSTS_PUBLISHED,
    SOURCES_DUE,
    STORIES_SUMMARIZED,
    STORIES_UPDATED,
)
from shared.tracing import configure_tracing
from tests.asgi_server import serving
from tests.infra import KAFKA, MONGO
from tests.processes import group_at_end
from tests.waiting import eventually_async

Settings = TypeVar("Settings", bound=ServiceSettings)

ARTICLE = (
    "The harbour authority of Lindholm approved a new ferry terminal on Tuesday. "
    "The terminal will cost 40 million euros and open in 2028, the authority said. "
    "Mayor Anja Berg said the terminal would double the number of daily crossings. "
    "Construction is to begin in the spring after a final environmental review."
)


def news_site() -> Starlette:
    async def feed(request: Request) -> Response:
        base = str(request.base_url).rstrip("/")
        item = (
            "<item><title>Lindholm approves a ferry terminal</title>"
            f"<link>{base}/ferry</link><pubDate>Tue, 01 Dec 2026 08:00:00 GMT</pubDate></item>"
        )
        body = f"<rss version='2.0'><channel><title>Harbour news</title>{item}</channel></rss>"
        return Response(body, media_type="application/rss+xml")

    async def article(request: Request) -> Response:
        page = (
            "<html lang='en'><head><title>Lindholm approves a ferry terminal</title></head>"
            f"<body><article><h1>Lindholm approves a ferry terminal</h1><p>{ARTICLE}</p>"
            "</article></body></html>"
        )
        return Response(page, media_type="text/html")

    return Starlette(routes=[Route("/feed.xml", feed), Route("/ferry", article)])


def spans_by_trace(spans: tuple[ReadableSpan, ...]) -> dict[int, list[ReadableSpan]]:
    traces: dict[int, list[ReadableSpan]] = {}
    for span in spans:
        assert span.context is not None
        traces.setdefault(span.context.trace_id, []).append(span)
    return traces


def hops(spans: list[ReadableSpan]) -> set[str]:
    """Each Kafka span's name: `<topic> publish` (a producer's) or `<topic> process` (a
    consumer's handling of it)."""
    return {
        span.name
        for span in spans
        if span.kind in (SpanKind.PRODUCER, SpanKind.CONSUMER)
        and span.name.endswith((" publish", " process"))
    }


@pytest.mark.timeout(120)
async def test_one_trace_runs_from_the_poll_to_the_published_post(tmp_path: Path):
    configure_tracing("test")
    provider = trace.get_tracer_provider()
    assert isinstance(provider, TracerProvider)
    exporter = InMemorySpanExporter()
    provider.add_span_processor(SimpleSpanProcessor(exporter))

    run = uuid.uuid4().hex[:8]
    name = f"pressroom_test_{run}"

    def settings(kind: type[Settings], service: str, **more: Any) -> Settings:
        return kind(
            kafka_bootstrap_servers=KAFKA,
            mongo_url=MONGO,
            mongo_database=name,
            consumer_group=f"{service}-{run}",
            **more,
        )

    database = Database(MONGO, name)
    async with serving(news_site()) as base:
        sources = tmp_path / "sources.yaml"
        sources.write_text(
            f"sources:\n- id: harbour-{run}\n  name: Harbour news\n  url: {base}/feed.xml\n"
            "  poll_seconds: 60\n  local: true\n"
        )
        apps: list[AsgiFastStream] = [
            fetcher_app(
                settings(
                    FetcherSettings,
                    "fetcher",
                    sources_file=sources,
                    host_delay_seconds=0,
                    schedule_tick_seconds=0.2,
                )
            ),
            deduplicator_app(settings(DeduplicatorSettings, "deduplicator")),
            summarizer_app(settings(SummarizerSettings, "summarizer", coalesce_seconds=0.2)),
            publisher_app(settings(PublisherSettings, "publisher")),
        ]
        for app in apps:  # this test's groups read only what this test publishes
            for group, topic in subscriptions(app.brokers[0]):
                await group_at_end(group, topic)
        started: list[AsgiFastStream] = []
        try:
            for app in apps:
                await app.start()
                started.append(app)

            async def published() -> bool:
                return await database.collection(POSTS).count_documents({}) == 1

            await eventually_async(published, within=60, what="the post")
        finally:
            for app in reversed(started):
                await app.stop()
            await database.client.drop_database(name)
            await database.close()

    traces = spans_by_trace(exporter.get_finished_spans())
    [poll] = [
        spans
        for spans in traces.values()
        if {f"{SOURCES_DUE} process", f"{ARTICLES_RAW} publish"} <= hops(spans)
    ]
    # Every hop of the article, in the one trace that began with its source's poll.
    assert {
        f"{ARTICLES_RAW} publish",
        f"{ARTICLES_RAW} process",
        f"{STORIES_UPDATED} publish",
        f"{STORIES_UPDATED} process",
        f"{STORIES_SUMMARIZED} publish",
        f"{STORIES_SUMMARIZED} process",
        f"{POSTS_PUBLISHED} publish",
    } <= hops(poll)
    names = {span.name for span in poll}
    assert "summarize" in names  # the summarizer's worker, after the queue
    fetched = {
        str(span.attributes.get("url.full"))
        for span in poll
        if span.kind is SpanKind.CLIENT and span.attributes
    }
    assert {f"{base}/feed.xml", f"{base}/ferry"} <= fetched
    # MongoDB commands of the hops are in it too (the post's insert among them).
    assert any(span.attributes and span.attributes.get("db.system") == "mongodb" for span in poll)
