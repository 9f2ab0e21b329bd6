"""The broker's own ceiling: raw aiokafka producing and consuming the pipeline's payloads,
with the durability the services use (acks=all, idempotent producer)."""

from __future__ import annotations

import time
import uuid
from dataclasses import dataclass

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from aiokafka.admin import AIOKafkaAdminClient, NewTopic


@dataclass(frozen=True)
class BrokerCeiling:
    messages: int
    payload_bytes: float
    produce_per_second: float
    consume_per_second: float

    @property
    def round_trip_per_second(self) -> float:
        """Messages a second through produce and consume one after the other."""
        return 1 / (1 / self.produce_per_second + 1 / self.consume_per_second)


async def measure_ceiling(
    bootstrap: str, payloads: list[tuple[bytes, bytes]], messages: int, partitions: int
) -> BrokerCeiling:
    topic = f"bench.ceiling.{uuid.uuid4().hex[:8]}"
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    try:
        await admin.create_topics([NewTopic(topic, partitions, 1)])
        producer = AIOKafkaProducer(
            bootstrap_servers=bootstrap, acks="all", enable_idempotence=True
        )
        await producer.start()
        try:
            # Partitions of a new topic have no leader for a moment: not the broker's rate.
            for partition in range(partitions):
                await producer.send_and_wait(topic, b"warm-up", partition=partition)
            started = time.perf_counter()
            for n in range(messages):
                key, value = payloads[n % len(payloads)]
                await producer.send(topic, value, key=key)
            await producer.flush()
            produce_seconds = time.perf_counter() - started
        finally:
            await producer.stop()

        consumer = AIOKafkaConsumer(
            topic, bootstrap_servers=bootstrap, auto_offset_reset="earliest", group_id=topic
        )
        await consumer.start()
        try:
            started, received = time.perf_counter(), 0
            while received < messages + partitions:
                batches = await consumer.getmany(timeout_ms=1000, max_records=5000)
                received += sum(len(records) for records in batches.values())
            consume_seconds = time.perf_counter() - started
        finally:
            await consumer.stop()
        await admin.delete_topics([topic])
    finally:
        await admin.close()
    size = sum(len(v) for _, v in payloads) / len(payloads)
    return BrokerCeiling(messages, size, messages / produce_seconds, messages / consume_seconds)
