"""Consumer lag and committed offsets, measured on the real broker as each service's lag
monitor measures them."""

from __future__ import annotations

import uuid

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from aiokafka.admin import AIOKafkaAdminClient

from shared.events import SourceDue, utc_now
from shared.lag import LagMonitor
from shared.topics import SOURCES_DUE
from tests.infra import KAFKA
from tests.processes import group_at_end


async def test_messages_the_group_has_not_committed_are_its_lag_and_its_commits_stand_still():
    group = await group_at_end(f"lag-test-{uuid.uuid4().hex[:8]}", SOURCES_DUE)
    admin = AIOKafkaAdminClient(bootstrap_servers=KAFKA)
    consumer = AIOKafkaConsumer(bootstrap_servers=KAFKA, enable_auto_commit=False)
    producer = AIOKafkaProducer(bootstrap_servers=KAFKA, acks="all")
    await admin.start()
    await consumer.start()
    await producer.start()
    try:
        lag_before, committed_before = await LagMonitor.measure(admin, consumer, group, SOURCES_DUE)
        for n in range(3):  # a fetcher that reads them finds no such source and moves on
            due = SourceDue(source_id=f"lag-test-{n}", due_at=utc_now())
            await producer.send_and_wait(
                SOURCES_DUE, due.model_dump_json().encode(), key=due.source_id.encode()
            )
        lag_after, committed_after = await LagMonitor.measure(admin, consumer, group, SOURCES_DUE)
    finally:
        await producer.stop()
        await consumer.stop()
        await admin.close()
    assert lag_before == 0
    assert lag_after == 3
    assert committed_after == committed_before > 0
