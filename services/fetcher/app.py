"""Fetcher: sources.yaml -> sources.due -> polls -> articles.raw; and, for feeds that name
a WebSub hub, pushed entries -> articles.raw."""

from __future__ import annotations

from faststream.asgi import AsgiFastStream

from services.fetcher.fetcher import Fetcher
from services.fetcher.http import PoliteClient
from services.fetcher.scheduler import Scheduler
from services.fetcher.settings import FetcherSettings
from services.fetcher.sources import SourcesFileError, load_sources
from services.fetcher.store import SeenUrls, SourceStore
from services.fetcher.websub import Callback, Subscriptions, WebSub
from shared.broker import make_broker
from shared.db import Database
from shared.events import ArticleFetched, SourceDue
from shared.service import make_service_app
from shared.settings import SettingsError
from shared.topics import ARTICLES_RAW, SOURCES_DUE

SERVICE = "fetcher"
SETTINGS = FetcherSettings  # what create_app takes (services/registry.py)


def create_app(settings: FetcherSettings) -> AsgiFastStream:
    try:
        configured = load_sources(settings.sources_file)
    except SourcesFileError as error:
        raise SettingsError(f"PRESSROOM_SOURCES_FILE: {error}") from None
    broker = make_broker(settings, SERVICE)
    database = Database.from_settings(settings)
    sources, seen = SourceStore(database), SeenUrls(database)
    client = PoliteClient.from_settings(settings)

    articles_raw = broker.publisher(
        ARTICLES_RAW,
        title="articles.raw:fetcher",
        description="A new article, once per canonical URL. Key: article_id.",
        schema=ArticleFetched,
    )
    sources_due = broker.publisher(
        SOURCES_DUE,
        title="sources.due:fetcher",
        description="A source is due to be polled. Key: source_id.",
        schema=SourceDue,
    )

    async def emit(article: ArticleFetched) -> None:
        await articles_raw.publish(article, key=article.article_id.encode())

    subscriptions = Subscriptions(database)
    websub = (
        WebSub(subscriptions, client, settings.websub_callback_url, settings.websub_lease_seconds)
        if settings.websub_callback_url
        else None
    )
    fetcher = Fetcher(sources, seen, client, emit, settings, websub)
    callback = Callback(subscriptions, fetcher.take_pushed, settings.max_body_bytes)

    @broker.subscriber(
        SOURCES_DUE,
        group_id=settings.group(SERVICE),
        auto_offset_reset="earliest",
        # A consumer per poll at once, each with partitions of its own: a partition's
        # offsets are committed only up to the polls that finished, in order.
        max_workers=settings.concurrent_polls,
        title="sources.due:fetcher",
        description="Polls to make; one replica polls a given source. Key: source_id.",
    )
    async def on_due(due: SourceDue) -> None:
        await fetcher.poll(due.source_id)

    async def announce(due: SourceDue) -> None:
        await sources_due.publish(due, key=due.source_id.encode())

    scheduler = Scheduler(sources, announce, settings.schedule_tick_seconds)

    async def prepare() -> None:
        await sources.create_indexes()
        await sources.sync(configured)

    return make_service_app(
        broker,
        service=SERVICE,
        settings=settings,
        database=database,
        on_startup=[prepare],
        background=[scheduler.run],
        after_shutdown=[client.close],  # after in-flight polls finished
        fallback=callback.app() if websub else None,  # /websub/<source>
    )
