"""The Kafka broker every service uses, configured the same way everywhere."""

from __future__ import annotations

import logging
from typing import Any, TypeVar

from faststream._internal.broker import BrokerUsecase
from faststream.kafka import KafkaBroker
from faststream.kafka.opentelemetry import KafkaTelemetryMiddleware
from faststream.kafka.prometheus import KafkaPrometheusMiddleware
from faststream.kafka.subscriber.usecase import LogicSubscriber
from faststream.middlewares import AckPolicy

from shared.commits import OffsetCommits
from shared.dead_letters import DeadLetterPolicy
from shared.kafka_connection import KafkaConnection
from shared.metrics import registry
from shared.settings import PRODUCER_MAX_REQUEST_BYTES, ServiceSettings

Policy = TypeVar("Policy", DeadLetterPolicy, OffsetCommits)


def make_broker(settings: ServiceSettings, service: str) -> KafkaBroker:
    """A broker with durable publishing (acks=all, idempotent), commits after the effect
    (coalesced: shared/commits.py), Prometheus metrics, traces and dead-lettering of
    messages that cannot be processed."""
    kafka = KafkaConnection.from_settings(settings)
    broker = KafkaBroker(
        kafka.bootstrap_servers.split(","),
        security=kafka.security(),
        client_id=f"pressroom-{service}",
        acks="all",
        enable_idempotence=True,
        max_request_size=PRODUCER_MAX_REQUEST_BYTES,
        # Offsets are committed by OffsetCommits, after the handler returns; a handler
        # that raises (which the dead-letter policy allows only on shutdown) leaves its
        # message uncommitted.
        ack_policy=AckPolicy.MANUAL,
        graceful_timeout=20.0,
        middlewares=(
            KafkaPrometheusMiddleware(
                registry=registry, app_name=service, metrics_prefix="faststream"
            ),
            # Each message carries its trace in its headers (shared/tracing.py).
            KafkaTelemetryMiddleware(include_messages_counters=False),
        ),
        logger=logging.getLogger(f"pressroom.{service}"),
        # FastStream's "Received" and "Processed", two lines per message in every service
        # (ten per article end to end), show with PRESSROOM_LOG_LEVEL=DEBUG; failures are
        # still logged at ERROR.
        log_level=logging.DEBUG,
        description=f"Pressroom {service}",
    )
    # Outside the dead-letter policy: a dead-lettered message is finished too.
    broker.add_middleware(OffsetCommits(settings.commit_interval_seconds))
    # Innermost, so it sees the handler's own exceptions first.
    broker.add_middleware(
        DeadLetterPolicy(
            broker,
            service=service,
            max_attempts=settings.handler_max_attempts,
            max_event_bytes=settings.max_event_bytes,
        )
    )
    return broker


def installed(broker: KafkaBroker, kind: type[Policy]) -> Policy:
    """The `kind` of middleware `make_broker` installed: the dead-letter policy, for work
    that gives up outside a handler (the summarizer's worker), whose letters are counted
    like every other; the offset commits, to close on shutdown."""
    for middleware in broker.config.broker_middlewares:
        if isinstance(middleware, kind):
            return middleware
    raise LookupError(f"this broker has no {kind.__name__}: it was not made by make_broker")


def subscriptions(broker: BrokerUsecase[Any, Any, Any]) -> list[tuple[str, str]]:
    """The (consumer group, topic) pairs `broker`'s subscribers read; a subscriber without
    a group (the site's, which only listens) has no lag to measure or scale on."""
    subscribers = [s for s in broker.subscribers if isinstance(s, LogicSubscriber)]
    return sorted(
        {(s.group_id, topic) for s in subscribers if s.group_id for topic in s.topic_names}
    )
