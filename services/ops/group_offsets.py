"""Starting a new consumer group at an offset or a time, to re-read a topic from there
(a service run with PRESSROOM_CONSUMER_GROUP set to that group then does)."""

from __future__ import annotations

import asyncio
from datetime import datetime

from aiokafka import AIOKafkaConsumer
from aiokafka.admin import AIOKafkaAdminClient
from aiokafka.errors import (
    GroupCoordinatorNotAvailableError,
    NodeNotReadyError,
    NotCoordinatorForGroupError,
)
from aiokafka.structs import OffsetAndMetadata

from shared.kafka_connection import KafkaConnection
from shared.retry import Backoff
from shared.topic_admin import partitions_of


class GroupExists(ValueError):
    """The group has committed offsets already; starting it over would lose its place."""


# Answers a broker gives while it is starting (the offsets topic is made on first use).
TRANSIENT = (GroupCoordinatorNotAvailableError, NotCoordinatorForGroupError, NodeNotReadyError)
STARTING_BROKER = Backoff(first_seconds=0.25, max_seconds=1.0)


async def start_group_at(
    kafka: KafkaConnection,
    topic: str,
    group: str,
    *,
    offset: int | None = None,
    since: datetime | None = None,
    attempts: int = 60,
) -> dict[int, int]:
    """Commit, for `group`, the offset in each partition of `topic` to start from: `offset`
    (capped at the partition's end), or the first message at or after `since`. A broker
    still starting up is waited for."""
    attempt = 0
    while True:
        attempt += 1
        try:
            return await _start_group_at(kafka, topic, group, offset=offset, since=since)
        except TRANSIENT:
            if attempt >= attempts:
                raise
            await asyncio.sleep(STARTING_BROKER.seconds(attempt))


async def _start_group_at(
    kafka: KafkaConnection,
    topic: str,
    group: str,
    *,
    offset: int | None = None,
    since: datetime | None = None,
) -> dict[int, int]:
    if (offset is None) == (since is None):
        raise ValueError("give either an offset or a time")
    admin = AIOKafkaAdminClient(**kafka.client_options())
    await admin.start()
    try:
        if await admin.list_consumer_group_offsets(group):
            raise GroupExists(f"group {group!r} has committed offsets; choose a new group")
    finally:
        await admin.close()
    partitions = await partitions_of(kafka, topic)
    if not partitions:
        raise ValueError(f"no topic {topic!r}")
    consumer = AIOKafkaConsumer(**kafka.client_options(), group_id=group, enable_auto_commit=False)
    await consumer.start()
    try:
        consumer.assign(partitions)
        ends = await consumer.end_offsets(partitions)
        if since is not None:
            found = await consumer.offsets_for_times(
                {tp: int(since.timestamp() * 1000) for tp in partitions}
            )
            starts = {tp: (found[tp].offset if found.get(tp) else ends[tp]) for tp in partitions}
        else:
            assert offset is not None
            starts = {tp: min(offset, ends[tp]) for tp in partitions}
        await consumer.commit(
            {tp: OffsetAndMetadata(o, "pressroom replay") for tp, o in starts.items()}
        )
        return {tp.partition: o for tp, o in sorted(starts.items())}
    finally:
        await consumer.stop()
