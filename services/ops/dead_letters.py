"""Operating on dead-letter topics: list what is there, and send letters back to their
topic once their cause is fixed. A letter is replayed once: replays are remembered by
event id in MongoDB `dlq_replays`."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from datetime import UTC, datetime

from aiokafka import AIOKafkaProducer
from pydantic import ValidationError

from services.ops.reading import read_all
from shared.db import Database
from shared.events import DeadLetter
from shared.kafka_connection import KafkaConnection
from shared.topics import DLQ_SUFFIX


@dataclass(frozen=True)
class Letter:
    offset: int
    partition: int
    letter: DeadLetter


def dead_letter_topic_name(topic: str) -> str:
    """`stories.summarized` or `stories.summarized.dlq` -> `stories.summarized.dlq`."""
    return topic if topic.endswith(DLQ_SUFFIX) else topic + DLQ_SUFFIX


async def letters(kafka: KafkaConnection, topic: str) -> AsyncIterator[Letter]:
    async for record in read_all(kafka, dead_letter_topic_name(topic)):
        try:
            letter = DeadLetter.model_validate_json(record.value or b"")
        except ValidationError:
            continue  # not a dead letter: nothing to replay
        yield Letter(record.offset, record.partition, letter)


@dataclass
class ReplayReport:
    replayed: int = 0
    already: int = 0
    skipped: int = 0


async def replay(
    kafka: KafkaConnection,
    database: Database,
    topic: str,
    *,
    error_contains: str | None = None,
    key: str | None = None,
    limit: int | None = None,
    progress: Callable[[Letter, str], None] = lambda letter, outcome: None,
) -> ReplayReport:
    """Publish each matching letter (its error contains `error_contains`, its key is `key`)
    to its original topic: the original bytes, with the original key."""
    replays = database.collection("dlq_replays")
    report = ReplayReport()
    producer = AIOKafkaProducer(**kafka.client_options(), acks="all", enable_idempotence=True)
    await producer.start()
    try:
        async for item in letters(kafka, topic):
            letter = item.letter
            if (error_contains and error_contains not in letter.error) or (
                key is not None and letter.key != key
            ):
                report.skipped += 1
                progress(item, "skipped")
                continue
            if limit is not None and report.replayed >= limit:
                break
            if not letter.whole:
                report.skipped += 1  # only the start of it was kept: it cannot be sent again
                progress(item, "skipped (original cut)")
                continue
            if await replays.find_one({"_id": str(letter.event_id)}):
                report.already += 1
                progress(item, "already replayed")
                continue
            original_key = letter.key.encode() if letter.key is not None else None
            await producer.send_and_wait(letter.topic, letter.original, key=original_key)
            await replays.insert_one(
                {"_id": str(letter.event_id), "topic": letter.topic, "at": datetime.now(UTC)}
            )
            report.replayed += 1
            progress(item, "replayed")
    finally:
        await producer.stop()
    return report
