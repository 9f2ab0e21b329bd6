"""Creating and describing Pressroom's topics with Kafka's admin API."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from aiokafka import TopicPartition
from aiokafka.admin import AIOKafkaAdminClient, NewPartitions, NewTopic

from shared.kafka_connection import KafkaConnection
from shared.topics import PIPELINE_TOPICS, dead_letter_topic


@dataclass(frozen=True)
class TopicPlan:
    name: str
    partitions: int


def topic_plan(partitions: int) -> list[TopicPlan]:
    """Pipeline topics get `partitions` (the most consumers one group can use); a
    dead-letter topic gets one, as it is read rarely and in order."""
    plan = [TopicPlan(topic, partitions) for topic in PIPELINE_TOPICS]
    plan += [TopicPlan(dead_letter_topic(topic), 1) for topic in PIPELINE_TOPICS]
    return plan


async def create_topics(
    kafka: KafkaConnection, partitions: int, replication_factor: int = 1
) -> list[str]:
    """Create the topics that do not exist yet and give existing ones (created by a
    producer before this ran, say) the planned partitions; return the names changed."""
    admin = AIOKafkaAdminClient(**kafka.client_options(), request_timeout_ms=10_000)
    await admin.start()
    try:
        existing = set(await admin.list_topics())
        plan = topic_plan(partitions)
        present = [t for t in plan if t.name in existing]
        described: list[Any] = await admin.describe_topics([t.name for t in present])
        counts = {d["topic"]: len(d["partitions"]) for d in described}
        short = {t.name: t.partitions for t in present if counts.get(t.name, 0) < t.partitions}
        if short:
            await admin.create_partitions(
                {name: NewPartitions(total_count=n) for name, n in short.items()}
            )
        missing = [t for t in plan if t.name not in existing]
        if missing:
            await admin.create_topics(
                [
                    NewTopic(
                        t.name, num_partitions=t.partitions, replication_factor=replication_factor
                    )
                    for t in missing
                ]
            )
        return [t.name for t in missing] + [
            f"{name} (partitions: {n})" for name, n in short.items()
        ]
    finally:
        await admin.close()


async def describe_topics(kafka: KafkaConnection) -> dict[str, int]:
    """Partition count of each Pressroom topic that exists."""
    admin = AIOKafkaAdminClient(**kafka.client_options(), request_timeout_ms=10_000)
    await admin.start()
    try:
        names = [t.name for t in topic_plan(1)]
        existing = set(await admin.list_topics())
        described: list[Any] = await admin.describe_topics([n for n in names if n in existing])
        return {d["topic"]: len(d["partitions"]) for d in described}
    finally:
        await admin.close()


async def partitions_of(kafka: KafkaConnection, topic: str) -> list[TopicPartition]:
    """The partitions of `topic` (none when it does not exist)."""
    admin = AIOKafkaAdminClient(**kafka.client_options(), request_timeout_ms=10_000)
    await admin.start()
    try:
        described: list[Any] = await admin.describe_topics([topic])
    finally:
        await admin.close()
    return sorted(
        TopicPartition(topic, p["partition"])
        for d in described
        if d.get("error_code", 0) == 0
        for p in d["partitions"]
    )
