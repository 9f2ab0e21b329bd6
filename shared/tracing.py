"""Traces across the Kafka hops: one trace from a source's poll to the post on the site.

Every process has an OpenTelemetry tracer provider, so spans (and the trace id in each
log line) exist whether or not anything collects them. Spans leave the process only when
`OTEL_EXPORTER_OTLP_ENDPOINT` is set (OTLP over HTTP; the standard `OTEL_*` variables
configure it). FastStream's Kafka middleware carries the context in each message's
headers; MongoDB commands and outgoing HTTP calls get spans of their own, and so do the
site's requests when spans are exported. Outgoing requests carry no trace header: the
sites we fetch from are not ours.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any, cast

import httpx2
from opentelemetry import context as otel_context
from opentelemetry import propagate, trace
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor
from opentelemetry.trace import SpanKind, Status, StatusCode
from starlette.types import ASGIApp

from shared.version import VERSION

_configured = False


def exporting() -> bool:
    return bool(os.environ.get("OTEL_EXPORTER_OTLP_ENDPOINT"))


def configure_tracing(service: str) -> None:
    """Install this process's tracer provider (once), exporting only when an OTLP endpoint
    is set, and trace MongoDB commands."""
    global _configured
    if _configured:
        return
    _configured = True
    resource = Resource.create({"service.name": f"pressroom-{service}", "service.version": VERSION})
    provider = TracerProvider(resource=resource)
    if exporting():
        from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

        provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter()))
    trace.set_tracer_provider(provider)

    from opentelemetry.instrumentation.pymongo import PymongoInstrumentor

    PymongoInstrumentor().instrument()


def current_ids() -> dict[str, str]:
    """The current trace and span ids, for a log line; none outside a span."""
    span_context = trace.get_current_span().get_span_context()
    if not span_context.is_valid:
        return {}
    return {
        "trace_id": format(span_context.trace_id, "032x"),
        "span_id": format(span_context.span_id, "016x"),
    }


def carrier() -> dict[str, str]:
    """The current context as headers (W3C traceparent), to store with work done later."""
    headers: dict[str, str] = {}
    propagate.inject(headers)
    return headers


def attached(headers: Mapping[str, str] | None) -> object:
    """Make the context stored in `headers` current; give the token to `detach`."""
    return otel_context.attach(propagate.extract(dict(headers or {})))


def detach(token: object) -> None:
    otel_context.detach(token)  # type: ignore[arg-type]


tracer = trace.get_tracer("pressroom")


def traced_pages(app: ASGIApp) -> ASGIApp:
    """The site's pages with a server span per request, when spans are exported: a page
    served from the cache costs microseconds, and a span would be most of it."""
    if not exporting():
        return app
    from opentelemetry.instrumentation.asgi import OpenTelemetryMiddleware

    return cast(ASGIApp, OpenTelemetryMiddleware(app, exclude_spans=["receive", "send"]))


class TracedTransport(httpx2.AsyncBaseTransport):
    """An HTTP client span around each request its inner transport makes."""

    def __init__(self, inner: httpx2.AsyncBaseTransport) -> None:
        self.inner = inner

    async def handle_async_request(self, request: httpx2.Request) -> httpx2.Response:
        attributes: dict[str, Any] = {
            "http.request.method": request.method,
            "url.full": str(request.url.copy_with(query=None)),
            "server.address": request.url.host,
        }
        with tracer.start_as_current_span(
            f"{request.method}", kind=SpanKind.CLIENT, attributes=attributes
        ) as span:
            try:
                response = await self.inner.handle_async_request(request)
            except Exception as error:
                span.set_status(Status(StatusCode.ERROR, type(error).__name__))
                raise
            span.set_attribute("http.response.status_code", response.status_code)
            if response.status_code >= 500:
                span.set_status(Status(StatusCode.ERROR))
            return response

    async def aclose(self) -> None:
        await self.inner.aclose()
