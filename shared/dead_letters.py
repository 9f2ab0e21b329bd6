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
import logging
from collections.abc import Awaitable, Callable
from functools import partial
from typing import Any, TypeVar

from aiokafka import ConsumerRecord
from aiokafka.errors import KafkaError, MessageSizeTooLargeError
from fast_depends.exceptions import ValidationError as DependsValidationError
from faststream import BaseMiddleware
from faststream.kafka import KafkaBroker
from faststream.message import StreamMessage
from pydantic import ValidationError

from shared import metrics
from shared.events import DEAD_LETTER_ORIGINAL_BYTES, DeadLetter
from shared.retry import Backoff, Failure, classify
from shared.topics import DLQ_SUFFIX, dead_letter_topic

logger = logging.getLogger(__name__)
HANDLER_BACKOFF = Backoff(first_seconds=0.5, max_seconds=30.0)
T = TypeVar("T")


def describe(error: BaseException) -> str:
    if isinstance(error, ValidationError | DependsValidationError):
        return f"invalid event: {error}"[:4000]
    if isinstance(error, MessageSizeTooLargeError):
        # What the handler would publish can never be sent: no retry changes that.
        return f"oversize: {type(error).__name__}: {error}"[:4000]
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
        backoff: Backoff = HANDLER_BACKOFF,
    ) -> None:
        self.broker = broker
        self.service = service
        self.max_attempts = max_attempts
        self.max_event_bytes = max_event_bytes
        self.backoff = backoff

    def __call__(self, msg: Any, /, *, context: Any) -> _DeadLetterMiddleware:
        return _DeadLetterMiddleware(msg, context=context, policy=self)

    async def attempt(
        self,
        topic: str,
        work: Callable[[], Awaitable[T]],
        give_up: Callable[[str, int], Awaitable[None]],
    ) -> T | None:
        """`work` (a message of `topic`, or one event of a batch) under the policy:
        retried up to `max_attempts`, an outage waited out, or given up (`give_up` with the
        reason and the attempts made: the message to the `.dlq`)."""
        attempt = 0
        outages = 0
        while True:
            attempt += 1
            try:
                with metrics.handler_seconds.labels(self.service, topic).time():
                    return await work()
            except Exception as error:
                failure = classify(error)
                if failure is Failure.PERMANENT:
                    await give_up(describe(error), attempt)
                    return None
                if failure is Failure.OUTAGE:
                    # Not the message's fault: wait for the dependency, count no attempt.
                    attempt -= 1
                    outages += 1
                    metrics.handler_retries_total.labels(self.service, topic, "outage").inc()
                    logger.warning(
                        "dependency unavailable, retrying",
                        extra={"topic": topic, "error": describe(error), "outages": outages},
                    )
                    await asyncio.sleep(self.backoff.seconds(outages))
                    continue
                if attempt >= self.max_attempts:
                    await give_up(describe(error), attempt)
                    return None
                metrics.handler_retries_total.labels(self.service, topic, "error").inc()
                logger.warning(
                    "handler failed, retrying",
                    extra={"topic": topic, "attempt": attempt, "error": describe(error)},
                )
                await asyncio.sleep(self.backoff.seconds(attempt))

    async def send(self, message: StreamMessage[Any], reason: str, attempts: int) -> None:
        """Dead-letter a consumed message, or each message of a consumed batch: its
        topic's `.dlq` gets the reason and (a bounded prefix of) the original."""
        records = message.raw_message
        for record in records if isinstance(records, tuple | list) else (records,):
            await self.send_record(record, reason, attempts)

    async def send_record(
        self, record: ConsumerRecord[Any, Any], reason: str, attempts: int
    ) -> None:
        """Dead-letter one consumed record (one of a batch, say)."""
        key, body = record.key, record.value or b""
        letter = DeadLetter(
            topic=record.topic,
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
        await self.deliver(letter, key)

    def oversize(self, body: bytes, topic: str) -> str | None:
        """Why `body` is too large to handle, if it is. A dead letter carries its original,
        oversize ones too: it is not capped again."""
        if len(body) > self.max_event_bytes and not topic.endswith(DLQ_SUFFIX):
            return f"oversize: {len(body)} bytes > {self.max_event_bytes}"
        return None

    async def deliver(self, letter: DeadLetter, key: bytes | None = None) -> None:
        """Publish `letter` to the `.dlq` of its topic, keyed as its original (`key`, else
        the letter's), waiting out a broker outage; and count it (the dead-letter alert
        watches that count)."""
        logger.warning(
            "dead-lettered a message",
            extra={"topic": letter.topic, "offset": letter.offset, "reason": letter.error},
        )
        body = letter.model_dump_json().encode()
        if key is None and letter.key is not None:
            key = letter.key.encode()
        outages = 0
        while True:
            try:
                await self.broker.publish(body, dead_letter_topic(letter.topic), key=key)
                break
            except KafkaError:
                outages += 1
                metrics.handler_retries_total.labels(self.service, letter.topic, "outage").inc()
                await asyncio.sleep(self.backoff.seconds(outages))
        kind = letter.error.split(":", 1)[0]
        metrics.dead_letters_total.labels(self.service, letter.topic, kind).inc()


class _DeadLetterMiddleware(BaseMiddleware):
    def __init__(self, msg: Any, /, *, context: Any, policy: DeadLetterPolicy) -> None:
        super().__init__(msg, context=context)
        self.policy = policy

    async def consume_scope(
        self, call_next: Callable[[Any], Awaitable[Any]], msg: StreamMessage[Any]
    ) -> Any:
        policy = self.policy
        records = msg.raw_message
        batch = isinstance(records, tuple | list)
        topic = records[0].topic if batch else records.topic
        # A batch's handler reads (and sizes) each of its messages: shared/batches.py.
        if not batch and (reason := policy.oversize(msg.body, topic)):
            await policy.send(msg, reason, attempts=1)
            return None

        return await policy.attempt(topic, lambda: call_next(msg), partial(policy.send, msg))
