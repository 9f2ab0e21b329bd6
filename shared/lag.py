"""Consumer lag, measured by the consumers themselves: how many messages of each topic
their group has not committed yet, and how far it has committed. Exported as
`pressroom_consumer_lag` and `pressroom_consumer_committed_offsets` for dashboards and
alerts (a group with lag whose commits stand still is stalled); KEDA reads lag from Kafka
directly to scale the groups."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from typing import Any

from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient
from prometheus_client import Gauge

from shared.kafka_connection import KafkaConnection
from shared.metrics import registry

logger = logging.getLogger(__name__)

consumer_lag = Gauge(
    "pressroom_consumer_lag",
    "Messages a consumer group has not committed yet, by group and topic.",
    ["group", "topic"],
    registry=registry,
)


committed_offsets = Gauge(
    "pressroom_consumer_committed_offsets",
    "The sum of a consumer group's committed offsets over a topic's partitions: it stands "
    "still while the group consumes nothing.",
    ["group", "topic"],
    registry=registry,
)


class LagMonitor:
    """Measures each (group, topic) every `interval` seconds until cancelled."""

    def __init__(
        self, kafka: KafkaConnection, subscriptions: Sequence[tuple[str, str]], interval: float = 15
    ) -> None:
        self.kafka = kafka
        self.subscriptions = list(subscriptions)
        self.interval = interval

    async def run(self) -> None:
        while True:
            try:
                await self._measure_until_failure()
            except asyncio.CancelledError:
                raise
            except Exception as error:  # the broker is away: measure again later
                logger.debug("lag not measured", extra={"error": str(error)})
            await asyncio.sleep(self.interval)

    async def _measure_until_failure(self) -> None:
        admin = AIOKafkaAdminClient(**self.kafka.client_options(), request_timeout_ms=5000)
        consumer = AIOKafkaConsumer(**self.kafka.client_options(), enable_auto_commit=False)
        try:
            await admin.start()
            await consumer.start()
            while True:
                for group, topic in self.subscriptions:
                    lag, committed = await self.measure(admin, consumer, group, topic)
                    consumer_lag.labels(group, topic).set(lag)
                    committed_offsets.labels(group, topic).set(committed)
                await asyncio.sleep(self.interval)
        finally:
            # Stopped here even when cancelled while starting, so nothing is left open.
            await asyncio.shield(consumer.stop())
            await asyncio.shield(admin.close())

    @staticmethod
    async def measure(
        admin: AIOKafkaAdminClient, consumer: AIOKafkaConsumer, group: str, topic: str
    ) -> tuple[int, int]:
        """The lag (end offsets minus the group's committed offsets) and the committed
        offsets, each summed over the topic's partitions."""
        committed = await admin.list_consumer_group_offsets(group)
        described: list[Any] = await admin.describe_topics([topic])
        partitions = [
            TopicPartition(topic, p["partition"])
            for d in described
            if d.get("error_code", 0) == 0
            for p in d["partitions"]
        ]
        ends = await consumer.end_offsets(partitions)
        lag = done_total = 0
        for partition, end in ends.items():
            done = committed.get(partition)
            offset = done.offset if done is not None and done.offset >= 0 else 0
            lag += max(0, end - offset)
            done_total += offset
        return int(lag), int(done_total)
