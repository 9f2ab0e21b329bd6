"""Offsets on the real broker: committed after the handlers finish, together rather than
after each message, all of them on shutdown, and none lost when a process dies first."""

from __future__ import annotations

import asyncio
import uuid

from aiokafka import AIOKafkaConsumer, TopicPartition
from faststream.kafka import KafkaBroker

from shared.broker import installed, make_broker
from shared.commits import OffsetCommits
from shared.settings import ServiceSettings
from tests.infra import KAFKA
from tests.waiting import eventually, eventually_async

MESSAGES = 12


async def committed(group: str, topic: str) -> int:
    """How many messages of the one-partition `topic` the group has committed."""
    consumer = AIOKafkaConsumer(bootstrap_servers=KAFKA, group_id=group)
    await consumer.start()
    try:
        return await consumer.committed(TopicPartition(topic, 0)) or 0
    finally:
        await consumer.stop()


def reader(interval: float, topic: str, group: str, seen: list[int]) -> KafkaBroker:
    settings = ServiceSettings(kafka_bootstrap_servers=KAFKA, commit_interval_seconds=interval)
    broker = make_broker(settings, "offset-commits")

    @broker.subscriber(topic, group_id=group, auto_offset_reset="earliest")
    async def handle(number: int) -> None:
        seen.append(number)

    return broker


async def fill(topic: str) -> None:
    broker = make_broker(ServiceSettings(kafka_bootstrap_servers=KAFKA), "offset-commits")
    async with broker:
        await broker.start()
        for number in range(MESSAGES):
            await broker.publish(number, topic, partition=0)


async def test_finished_messages_are_committed_within_the_interval():
    topic, group = f"test.commits.{uuid.uuid4().hex[:10]}", f"g-{uuid.uuid4().hex[:8]}"
    await fill(topic)
    seen: list[int] = []
    async with reader(0.2, topic, group, seen) as broker:
        await broker.start()
        await eventually(lambda: len(seen) == MESSAGES, what="every message handled")

        async def all_committed() -> bool:
            return await committed(group, topic) == MESSAGES

        await eventually_async(all_committed, what="the offsets committed while running")
    assert seen == list(range(MESSAGES))


async def test_a_shutdown_commits_what_is_finished_and_a_death_loses_nothing():
    topic, group = f"test.commits.{uuid.uuid4().hex[:10]}", f"g-{uuid.uuid4().hex[:8]}"
    await fill(topic)

    died: list[int] = []  # a process killed before its first commit is due
    async with reader(60.0, topic, group, died) as broker:
        await broker.start()
        await eventually(lambda: len(died) == MESSAGES, what="every message handled")
    assert await committed(group, topic) == 0

    again: list[int] = []  # its successor reads them all again, and shuts down properly
    async with reader(60.0, topic, group, again) as broker:
        await broker.start()
        await eventually(lambda: len(again) == MESSAGES, what="every message handled again")
        await installed(broker, OffsetCommits).close()
        assert await committed(group, topic) == MESSAGES

    after: list[int] = []  # so the next one starts past them
    async with reader(60.0, topic, group, after) as broker:
        await broker.start()
        await asyncio.sleep(2.0)  # time enough to read any message left
    assert (died, again, after) == (list(range(MESSAGES)), list(range(MESSAGES)), [])
