"""Creating and describing Pressroom's topics with Kafka's admin API."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from aiokafka.admin import AIOKafkaAdminClient, NewTopic

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
    bootstrap_servers: str, partitions: int, replication_factor: int = 1
) -> list[str]:
    """Create the topics that do not exist yet; return the names created."""
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap_servers, request_timeout_ms=10_000)
    await admin.start()
    try:
        existing = set(await admin.list_topics())
        missing = [t for t in topic_plan(partitions) if t.name not in existing]
        if missing:
            await admin.create_topics(
                [
                    NewTopic(
                        t.name, num_partitions=t.partitions, replication_factor=replication_factor
                    )
                    for t in missing
                ]
            )
        return [t.name for t in missing]
    finally:
        await admin.close()


async def describe_topics(bootstrap_servers: str) -> dict[str, int]:
    """Partition count of each Pressroom topic that exists."""
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap_servers, request_timeout_ms=10_000)
    await admin.start()
    try:
        names = [t.name for t in topic_plan(1)]
        existing = set(await admin.list_topics())
        described: list[Any] = await admin.describe_topics([n for n in names if n in existing])
        return {d["topic"]: len(d["partitions"]) for d in described}
    finally:
        await admin.close()
