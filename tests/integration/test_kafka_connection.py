"""The services' Kafka clients with a SASL user, against the local broker's SASL listener
(127.0.0.1:9094, user `pressroom`, in deploy/local/kafka/server.properties)."""

from __future__ import annotations

import uuid

import pytest
from aiokafka.errors import KafkaError

from shared.broker import make_broker
from shared.events import ArticleFetched
from shared.kafka_connection import KafkaConnection
from shared.settings import ServiceSettings
from shared.topic_admin import describe_topics
from tests.factories import make_article
from tests.waiting import eventually

SASL_LISTENER = "127.0.0.1:9094"


def with_user(password: str) -> ServiceSettings:
    return ServiceSettings(
        kafka_bootstrap_servers=SASL_LISTENER,
        kafka_security_protocol="SASL_PLAINTEXT",
        kafka_sasl_mechanism="PLAIN",
        kafka_sasl_username="pressroom",
        kafka_sasl_password=password,
    )


async def test_a_services_broker_with_a_sasl_user_publishes_and_consumes():
    topic = f"test.sasl.{uuid.uuid4().hex[:10]}"
    sent = make_article(f"https://example.com/{uuid.uuid4().hex}")
    received: list[ArticleFetched] = []
    broker = make_broker(with_user("dev-only-password"), "sasl-test")

    @broker.subscriber(topic, group_id=f"g-{uuid.uuid4().hex[:8]}", auto_offset_reset="earliest")
    async def handle(event: ArticleFetched) -> None:
        received.append(event)

    async with broker:
        await broker.start()
        await broker.publish(sent, topic, key=sent.article_id.encode())
        await eventually(lambda: len(received) == 1, what="the event consumed over SASL")
    assert received == [sent]


async def test_the_operator_commands_reach_the_broker_as_a_sasl_user():
    topics = await describe_topics(KafkaConnection.from_settings(with_user("dev-only-password")))
    assert "articles.raw" in topics


async def test_a_wrong_password_is_refused():
    with pytest.raises(KafkaError):
        await describe_topics(KafkaConnection.from_settings(with_user("not-the-password")))
