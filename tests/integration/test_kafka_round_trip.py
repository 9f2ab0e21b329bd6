"""Events through a real Kafka topic with the shared broker factory."""

from __future__ import annotations

import uuid

from faststream.kafka import KafkaBroker

from shared.broker import make_broker
from shared.events import ArticleFetched, DeadLetter
from shared.settings import ServiceSettings
from tests.factories import make_article
from tests.infra import KAFKA
from tests.waiting import eventually


def fresh_topic() -> str:
    return f"test.round-trip.{uuid.uuid4().hex[:10]}"


def subscribe_from_start(broker: KafkaBroker, topic: str, sink: list, model: type) -> None:
    async def handler(event: ArticleFetched) -> None:
        sink.append(event)

    async def dead_letter_handler(event: DeadLetter) -> None:
        sink.append(event)

    chosen = dead_letter_handler if model is DeadLetter else handler
    broker.subscriber(topic, group_id=f"g-{uuid.uuid4().hex[:8]}", auto_offset_reset="earliest")(
        chosen
    )


async def test_an_event_published_to_a_real_topic_is_consumed_intact():
    topic = fresh_topic()
    url = f"https://example.com/{uuid.uuid4().hex}"
    sent = make_article(
        url, title='Ünïcode title — quoted "x"', text="Body " * 100, authors=("A. Writer",)
    )
    received: list[ArticleFetched] = []
    broker = make_broker(ServiceSettings(kafka_bootstrap_servers=KAFKA), "round-trip")
    subscribe_from_start(broker, topic, received, ArticleFetched)
    async with broker:
        await broker.start()
        await broker.publish(sent, topic, key=sent.article_id.encode())
        await eventually(lambda: len(received) == 1, what="the event consumed")
    assert received == [sent]


async def test_a_malformed_message_on_a_real_topic_lands_in_its_dlq():
    topic = fresh_topic()
    received: list[ArticleFetched] = []
    dead: list[DeadLetter] = []
    broker = make_broker(ServiceSettings(kafka_bootstrap_servers=KAFKA), "round-trip")
    subscribe_from_start(broker, topic, received, ArticleFetched)
    subscribe_from_start(broker, f"{topic}.dlq", dead, DeadLetter)
    async with broker:
        await broker.start()
        await broker.publish(b"\xff\xfe not an event", topic, key=b"bad")
        await eventually(lambda: len(dead) == 1, what="the dead letter consumed")
    assert received == []
    assert dead[0].original == b"\xff\xfe not an event"
    assert dead[0].key == "bad"
    assert dead[0].service == "round-trip"
