"""The process around a service: HTTP endpoints for operators, start-up and shutdown.

Every service serves `/metrics` (Prometheus), `/health` (the process is alive) and
`/ready` (Kafka and, where used, MongoDB answer) next to its Kafka handlers, in one
ASGI app run by uvicorn, which turns SIGTERM into a graceful stop. With `ops_port` set,
those answer on that port only and the HTTP port serves the fallback (the site's pages)
alone, so a public Service or Ingress cannot reach them.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
from collections.abc import Awaitable, Callable, Coroutine, Sequence
from typing import Any

import uvicorn
from faststream.asgi import AsgiFastStream, AsgiResponse, get
from faststream.kafka import KafkaBroker
from starlette.types import ASGIApp, Receive, Scope, Send

from shared.broker import installed, subscriptions
from shared.commits import OffsetCommits
from shared.db import Database
from shared.kafka_connection import KafkaConnection
from shared.lag import LagMonitor
from shared.logging import configure_logging
from shared.metrics import build_info, metrics_asgi_app
from shared.settings import ServiceSettings
from shared.tracing import configure_tracing
from shared.version import VERSION

ReadinessCheck = Callable[[], Awaitable[bool]]
# Given the failing checks: what the service can still do (it stays ready), or None.
Degraded = Callable[[list[str]], dict[str, Any] | None]


class ServiceApp(AsgiFastStream):
    """AsgiFastStream that hands unknown paths to a fallback ASGI app instead of a 404,
    and keeps its own routes to the operators' port when there is one."""

    def __init__(
        self,
        *args: Any,
        fallback: ASGIApp | None = None,
        ops_port: int | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.fallback = fallback
        self.ops_port = ops_port

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or self.ops_port is None:
            await super().__call__(scope, receive, send)
        elif (scope.get("server") or ("", None))[1] != self.ops_port:
            await self.not_found(scope, receive, send)  # the public port: pages only
        elif route := next((app for path, app in self.routes if path == scope["path"]), None):
            await route(scope, receive, send)
        else:
            await super().not_found(scope, receive, send)

    async def not_found(self, scope: Scope, receive: Receive, send: Send) -> None:
        if self.fallback is not None and scope["type"] == "http":
            await self.fallback(scope, receive, send)
        else:
            await super().not_found(scope, receive, send)


def make_service_app(
    broker: KafkaBroker,
    *,
    service: str,
    settings: ServiceSettings,
    database: Database | None = None,
    readiness_checks: Sequence[ReadinessCheck] = (),
    on_startup: Sequence[Callable[[], Awaitable[Any]]] = (),
    after_startup: Sequence[Callable[[], Awaitable[Any]]] = (),
    on_shutdown: Sequence[Callable[[], Awaitable[Any]]] = (),
    after_shutdown: Sequence[Callable[[], Awaitable[Any]]] = (),
    extra_routes: Sequence[tuple[str, Any]] = (),
    fallback: ASGIApp | None = None,
    background: Sequence[Callable[[], Coroutine[Any, Any, None]]] = (),
    degraded: Degraded | None = None,
) -> AsgiFastStream:
    """The service's ASGI app; `fallback` answers every path the service's own routes
    (`/metrics`, `/health`, `/ready`, `extra_routes`) do not: the site's pages.
    The lag of every (consumer group, topic) its broker's subscribers read is exported;
    `background` loops run from after the broker started until shutdown begins;
    `degraded` says what the service can still serve while checks fail (the site, from its
    cache), and /ready then answers 200 with it."""
    build_info.labels(service, VERSION).set(1)
    checks: list[tuple[str, ReadinessCheck]] = [("kafka", lambda: broker.ping(2.0))]
    if database is not None:
        checks.append(("mongodb", database.ping))
    checks.extend((f"check{i}", check) for i, check in enumerate(readiness_checks))

    @get(include_in_schema=False)
    async def health(scope: Any) -> AsgiResponse:
        return AsgiResponse(b'{"status":"ok"}', 200, headers={"content-type": "application/json"})

    @get(include_in_schema=False)
    async def ready(scope: Any) -> AsgiResponse:
        results = await asyncio.gather(*(check() for _, check in checks))
        failing = [name for (name, _), ok in zip(checks, results, strict=True) if not ok]
        if failing and degraded is not None and (still := degraded(failing)) is not None:
            body = json.dumps({"status": "degraded", "failing": failing, **still}).encode()
            return AsgiResponse(body, 200, headers={"content-type": "application/json"})
        if failing:
            body = ('{"status":"unavailable","failing":["' + '","'.join(failing) + '"]}').encode()
            return AsgiResponse(body, 503, headers={"content-type": "application/json"})
        return AsgiResponse(
            b'{"status":"ready"}', 200, headers={"content-type": "application/json"}
        )

    loops = list(background)
    if consumes := subscriptions(broker):
        loops.append(LagMonitor(KafkaConnection.from_settings(settings), consumes).run)
    running: set[asyncio.Task[None]] = set()

    async def start_background() -> None:
        running.update(asyncio.create_task(loop(), name=loop.__qualname__) for loop in loops)

    async def stop_background() -> None:
        for task in running:
            task.cancel()
        await asyncio.gather(*running, return_exceptions=True)

    async def close_database() -> None:
        if database is not None:
            await database.close()

    configure_logging(service, settings.log_level)
    configure_tracing(service)
    return ServiceApp(
        broker,
        fallback=fallback,
        ops_port=settings.ops_port,
        asgi_routes=[
            ("/metrics", metrics_asgi_app),
            ("/health", health),
            ("/ready", ready),
            *extra_routes,
        ],
        on_startup=list(on_startup),
        # After the broker started, so background work can publish.
        after_startup=[*after_startup, start_background],
        # Before the broker stops: the consumers commit what they finished.
        on_shutdown=[stop_background, *on_shutdown, installed(broker, OffsetCommits).close],
        # After the broker stopped, so in-flight handlers still have their database.
        after_shutdown=[*after_shutdown, close_database],
    )


def serve(app: Any, settings: ServiceSettings) -> None:
    """Run an ASGI app until SIGTERM or SIGINT, then shut it down gracefully; on the HTTP
    port, and on the operators' port too when there is one; at the CPU priority the
    settings give (`niceness`)."""
    os.nice(settings.niceness)
    config = uvicorn.Config(
        app,
        host=settings.http_host,
        port=settings.http_port,
        log_config=None,
        access_log=False,
        timeout_graceful_shutdown=25,
    )
    # No line per request: uvicorn logs one whenever "uvicorn.access" has a handler, and
    # the root logger's JSON handler counts (requests are counted in the metrics instead).
    logging.getLogger("uvicorn.access").propagate = False
    ports = [settings.http_port, *([settings.ops_port] if settings.ops_port else [])]
    sockets = [  # each Config sets up logging: uvicorn's own, unless told not to
        uvicorn.Config(app, host=settings.http_host, port=port, log_config=None).bind_socket()
        for port in ports
    ]
    uvicorn.Server(config).run(sockets=sockets)
