"""Prometheus metrics: one registry per process, exposed at /metrics."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, make_asgi_app
from prometheus_client.registry import REGISTRY

# The default registry, so process and platform collectors come along for free.
registry: CollectorRegistry = REGISTRY

dead_letters_total = Counter(
    "pressroom_dead_letters_total",
    "Messages sent to a dead-letter topic, by source topic and reason.",
    ["service", "topic", "reason"],
    registry=registry,
)
handler_retries_total = Counter(
    "pressroom_handler_retries_total",
    "Retries of a message whose handling failed, by topic and kind of failure.",
    ["service", "topic", "kind"],
    registry=registry,
)
handler_seconds = Histogram(
    "pressroom_handler_seconds",
    "Time to handle one message, effect included.",
    ["service", "topic"],
    registry=registry,
)

build_info = Gauge(
    "pressroom_build_info",
    "Always 1: which service this is and the Pressroom version it runs.",
    ["service", "version"],
    registry=registry,
)

metrics_asgi_app = make_asgi_app(registry=registry)
