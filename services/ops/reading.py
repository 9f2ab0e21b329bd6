"""Reading a topic from its beginning, partition by partition, with no consumer group."""

from __future__ import annotations

from collections.abc import AsyncIterator

from aiokafka import AIOKafkaConsumer, ConsumerRecord

from shared.kafka_connection import KafkaConnection
from shared.topic_admin import partitions_of


async def read_all(
    kafka: KafkaConnection, topic: str
) -> AsyncIterator[ConsumerRecord[bytes, bytes]]:
    """Every record of `topic` that exists now, oldest first within each partition."""
    partitions = await partitions_of(kafka, topic)
    if not partitions:
        return
    consumer = AIOKafkaConsumer(**kafka.client_options(), enable_auto_commit=False)
    await consumer.start()
    try:
        consumer.assign(partitions)
        await consumer.seek_to_beginning(*partitions)
        ends = await consumer.end_offsets(partitions)
        remaining = {tp: end for tp, end in ends.items() if end > 0}
        while remaining:
            batches = await consumer.getmany(*remaining, timeout_ms=1000)
            for partition, records in batches.items():
                for record in records:
                    if record.offset < remaining.get(partition, 0):
                        yield record
                if records and records[-1].offset + 1 >= remaining.get(partition, 0):
                    remaining.pop(partition, None)
    finally:
        await consumer.stop()
