"""What happens to a message its handler cannot process.

- Malformed (not JSON, wrong shape, unknown schema_version, oversize), or making an event
  too large to publish: straight to the topic's `.dlq`, with the reason, the service and
  the original bytes (the first 256 KiB of them, with the whole length and SHA-256).
- An outage of Kafka or MongoDB: waited out with capped backoff, never dead-lettered,
  since the message itself is fine.
- Any other failure: retried up to `max_attempts`, then dead-lettered.

The offset is committed only after the handler's effect or the dead letter is durable.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from aiokafka.errors import KafkaError, MessageSizeTooLargeError
from fast_depends.exceptions import ValidationError as DependsValidationError
from faststream import BaseMiddleware
from faststream.kafka import KafkaBroker
from faststream.message import StreamMessage
from pydantic import ValidationError
from pymongo.errors import AutoReconnect, ConnectionFailure, NetworkTimeout, PyMongoError

from shared import metrics
from shared.db import is_server_away
from shared.events import DEAD_LETTER_ORIGINAL_BYTES, DeadLetter
from shared.topics import DLQ_SUFFIX, dead_letter_topic

logger = logging.getLogger(__name__)

MALFORMED = (ValidationError, DependsValidationError, json.JSONDecodeError, UnicodeDecodeError)
# The broker or the database being away (restarting, electing a leader, timing out) is
# never the message's fault: any Kafka error a handler meets is one of those.
OUTAGES = (ConnectionFailure, AutoReconnect, NetworkTimeout, KafkaError)


def is_outage(error: BaseException) -> bool:
    """The broker or the database is away: one of OUTAGES, or the database answering that
    it cannot reach its storage (FerretDB while PostgreSQL restarts)."""
    return isinstance(error, OUTAGES) or (isinstance(error, PyMongoError) and is_server_away(error))


class MalformedEvent(ValueError):
    """Raised by a handler for an event that can never be processed, whatever the retries."""


def _describe(error: BaseException) -> str:
    if isinstance(error, ValidationError | DependsValidationError):
        return f"invalid event: {error}"[:4000]
    return f"{type(error).__name__}: {error}"[:4000]


class DeadLetterPolicy:
    """Builds the per-message middleware; one per broker."""

    def __init__(
        self,
        broker: KafkaBroker,
        *,
        service: str,
        max_attempts: int,
        max_event_bytes: int,
        backoff_seconds: float = 0.5,
        max_backoff_seconds: float = 30.0,
    ) -> None:
        self.broker = broker
        self.service = service
        self.max_attempts = max_attempts
        self.max_event_bytes = max_event_bytes
        self.backoff_seconds = backoff_seconds
        self.max_backoff_seconds = max_backoff_seconds

    def __call__(self, msg: Any, /, *, context: Any) -> _DeadLetterMiddleware:
        return _DeadLetterMiddleware(msg, context=context, policy=self)

    def backoff(self, attempt: int) -> float:
        return float(min(self.max_backoff_seconds, self.backoff_seconds * 2 ** (attempt - 1)))

    async def send(self, message: StreamMessage[Any], reason: str, attempts: int) -> None:
        record = message.raw_message
        topic, key, body = record.topic, record.key, message.body
        letter = DeadLetter(
            topic=topic,
            partition=record.partition,
            offset=record.offset,
            key=key.decode("utf-8", "replace") if isinstance(key, bytes) else key,
            service=self.service,
            error=reason,
            attempts=attempts,
            original=body[:DEAD_LETTER_ORIGINAL_BYTES],
            original_bytes=len(body),
            original_sha256=hashlib.sha256(body).hexdigest(),
        )
        kind = reason.split(":", 1)[0]
        logger.warning(
            "dead-lettered a message",
            extra={"topic": topic, "offset": record.offset, "reason": reason},
        )
        await self._until_delivered(
            lambda: self.broker.publish(
                letter.model_dump_json().encode(), dead_letter_topic(topic), key=key
            ),
            topic,
        )
        metrics.dead_letters_total.labels(self.service, topic, kind).inc()

    async def _until_delivered(self, publish: Callable[[], Awaitable[Any]], topic: str) -> None:
        attempt = 0
        while True:
            attempt += 1
            try:
                await publish()
                return
            except KafkaError:
                metrics.handler_retries_total.labels(self.service, topic, "outage").inc()
                await asyncio.sleep(self.backoff(attempt))


class _DeadLetterMiddleware(BaseMiddleware):
    def __init__(self, msg: Any, /, *, context: Any, policy: DeadLetterPolicy) -> None:
        super().__init__(msg, context=context)
        self.policy = policy

    async def consume_scope(
        self, call_next: Callable[[Any], Awaitable[Any]], msg: StreamMessage[Any]
    ) -> Any:
        policy = self.policy
        topic = msg.raw_message.topic
        # A dead letter carries its original, oversize ones too: it is not capped again.
        if len(msg.body) > policy.max_event_bytes and not topic.endswith(DLQ_SUFFIX):
            reason = f"oversize: {len(msg.body)} bytes > {policy.max_event_bytes}"
            await policy.send(msg, reason, attempts=1)
            return None

        attempt = 0
        outages = 0
        while True:
            attempt += 1
            try:
                with metrics.handler_seconds.labels(policy.service, topic).time():
                    return await call_next(msg)
            except (*MALFORMED, MalformedEvent) as error:
                await policy.send(msg, _describe(error), attempts=attempt)
                return None
            except MessageSizeTooLargeError as error:
                # What the handler would publish can never be sent: no retry changes that.
                await policy.send(msg, f"oversize: {_describe(error)}", attempts=attempt)
                return None
            except Exception as error:
                if is_outage(error):
                    # Not the message's fault: wait for the dependency, count no attempt.
                    attempt -= 1
                    outages += 1
                    metrics.handler_retries_total.labels(policy.service, topic, "outage").inc()
                    logger.warning(
                        "dependency unavailable, retrying",
                        extra={"topic": topic, "error": _describe(error), "outages": outages},
                    )
                    await asyncio.sleep(policy.backoff(outages))
                    continue
                if attempt >= policy.max_attempts:
                    await policy.send(msg, _describe(error), attempts=attempt)
                    return None
                metrics.handler_retries_total.labels(policy.service, topic, "error").inc()
                logger.warning(
                    "handler failed, retrying",
                    extra={"topic": topic, "attempt": attempt, "error": _describe(error)},
                )
                await asyncio.sleep(policy.backoff(attempt))
