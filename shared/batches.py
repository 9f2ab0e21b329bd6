"""A batch of consumed messages, each read on its own.

A `batch_subscriber` pays FastStream's cost per message (its middlewares, its handler
call) once per batch, and its handler can do one database command for many events. But
one bad message must not take its neighbours with it:

- `read_batch` validates each record against the topic's event model and dead-letters
  only the ones that fail, with their reason;
- `handle_together` handles the events at once, and if that fails for a reason other than
  an outage (which the dead-letter policy waits out for the whole batch), each alone under
  the policy, so that only the one that keeps failing is dead-lettered.

FastStream gives a batch a trace of its own, linked to its messages' traces; the work on
one event that belongs to that event's trace (what it publishes, say) goes `in_its_trace`.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass
from functools import partial
from typing import Annotated, Any, Generic, TypeVar

from aiokafka import ConsumerRecord
from faststream.kafka import KafkaBroker
from faststream.kafka.subscriber.usecase import BatchSubscriber
from faststream.message import StreamMessage
from opentelemetry import propagate
from opentelemetry.trace import Span, SpanKind
from pydantic import BaseModel, SkipValidation, ValidationError

from shared.dead_letters import DeadLetterPolicy, describe
from shared.retry import Failure, classify
from shared.settings import ServiceSettings
from shared.tracing import tracer

EventT = TypeVar("EventT", bound=BaseModel)
# How long a batch subscriber waits for a message (and, finding none, waits as long again:
# FastStream's batch subscriber sleeps after an empty poll).
BATCH_TIMEOUT_MS = 100


# A batch handler's first parameter: the events as the AsyncAPI document shows them, though
# FastStream hands over the bodies unread (`raw_bodies`): `read_batch` reads them.
DocumentedT = TypeVar("DocumentedT")
AsDocumented = Annotated[DocumentedT, SkipValidation()]


def batch_subscriber(
    broker: KafkaBroker,
    topic: str,
    settings: ServiceSettings,
    *,
    group_id: str,
    title: str,
    description: str,
) -> BatchSubscriber:
    """A subscriber of `topic` that hands its handler up to `PRESSROOM_BATCH_SIZE` messages
    at once, unread: `read_batch` reads them."""
    return broker.subscriber(
        topic,
        group_id=group_id,
        auto_offset_reset="earliest",
        title=title,
        description=description,
        batch=True,
        max_records=settings.batch_size,
        batch_timeout_ms=BATCH_TIMEOUT_MS,
        decoder=raw_bodies,
    )


async def raw_bodies(message: StreamMessage[Any]) -> Any:
    """A batch subscriber's decoder: the bodies as they came (FastStream would parse each as
    JSON first, and one that is not would fail the batch)."""
    return message.body


@dataclass(frozen=True)
class Received(Generic[EventT]):
    record: ConsumerRecord[Any, Any]
    event: EventT


async def read_batch(model: type[EventT], dead_letters: DeadLetterPolicy) -> list[Received[EventT]]:
    """The valid `model` events of the batch being handled, in their order; each other
    record goes to its topic's `.dlq` with the reason (as a message read alone would)."""
    # Not a `KafkaMessage` parameter of the handler: FastStream resolves such a parameter
    # in a worker thread (its `Context` is synchronous), 0.2 ms more CPU per batch.
    batch: StreamMessage[Any] = dead_letters.broker.context.get_local("message")
    records: Sequence[ConsumerRecord[Any, Any]] = batch.raw_message
    received = []
    for record in records:
        body = record.value or b""
        if reason := dead_letters.oversize(body, record.topic):
            await dead_letters.send_record(record, reason, attempts=1)
            continue
        try:
            event = model.model_validate_json(body)
        except ValidationError as error:
            await dead_letters.send_record(record, describe(error), attempts=1)
            continue
        received.append(Received(record, event))
    return received


async def handle_together(
    received: Sequence[Received[EventT]],
    handle: Callable[[Sequence[Received[EventT]]], Awaitable[None]],
    dead_letters: DeadLetterPolicy,
) -> None:
    """`handle` the events at once; after a failure of theirs, each alone (see above)."""
    try:
        await handle(received)
    except Exception as error:
        if classify(error) is Failure.OUTAGE:
            raise
        for each in received:
            await dead_letters.attempt(
                each.record.topic,
                partial(handle, [each]),
                partial(dead_letters.send_record, each.record),
            )


def in_its_trace(received: Received[Any]) -> AbstractContextManager[Span]:
    """A span for work on one event of a batch, in the trace its message carries."""
    headers = {key: value.decode("latin-1") for key, value in received.record.headers or ()}
    return tracer.start_as_current_span(
        f"{received.record.topic} process",
        context=propagate.extract(headers),
        kind=SpanKind.CONSUMER,
    )
