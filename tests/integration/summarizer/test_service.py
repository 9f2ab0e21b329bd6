"""The summarizer as its own process over the real Kafka broker and database."""

from __future__ import annotations

import uuid

import httpx2

from shared.broker import make_broker
from shared.events import StorySummarized
from shared.settings import ServiceSettings
from shared.topics import STORIES_SUMMARIZED, STORIES_UPDATED
from tests.factories import make_story
from tests.infra import KAFKA
from tests.processes import running_service
from tests.unit.summarizer.stories import COAST, HARBOUR, NORDIC
from tests.waiting import eventually


async def test_a_story_on_the_real_broker_comes_back_summarised_and_metrics_count_it(database):
    story_id = uuid.uuid4().hex
    received: list[StorySummarized] = []
    broker = make_broker(ServiceSettings(kafka_bootstrap_servers=KAFKA), "test-reader")

    @broker.subscriber(STORIES_SUMMARIZED, group_id=f"test-{story_id}", auto_offset_reset="latest")
    async def read(summary: StorySummarized) -> None:
        if summary.story_id == story_id:
            received.append(summary)

    async with (
        running_service("summarizer", database.db.name, coalesce_seconds="0.2") as summarizer,
        broker,
    ):
        await broker.start()
        story = make_story(HARBOUR, NORDIC, COAST, story_id=story_id, version=2)
        await broker.publish(story, STORIES_UPDATED, key=story_id.encode())
        await eventually(lambda: len(received) == 1, within=60, what="the summary on the broker")
        async with httpx2.AsyncClient() as client:
            metrics = (await client.get(f"{summarizer.url}/metrics")).text
        assert summarizer.terminate()  # SIGTERM: a graceful stop

    # A line per story summarised; none per message handled (FastStream's own, at DEBUG).
    log = summarizer.read_log()
    assert '"story summarised"' in log
    assert '"Received"' not in log
    assert '"Processed"' not in log

    summary = received[0]
    assert summary.version == 2
    assert len(summary.key_points) == 5
    assert 'pressroom_grounding_total{outcome="grounded",part="key_point",reason=""}' in metrics
