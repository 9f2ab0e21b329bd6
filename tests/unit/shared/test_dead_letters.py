"""The dead-letter policy, through FastStream's in-memory TestKafkaBroker."""

from __future__ import annotations

import pytest
from faststream.kafka import TestKafkaBroker
from pymongo.errors import OperationFailure

from shared.broker import make_broker
from shared.dead_letters import DeadLetterPolicy
from shared.events import ArticleFetched, DeadLetter
from shared.retry import Backoff
from shared.settings import ServiceSettings
from shared.topics import ARTICLES_RAW, dead_letter_topic
from tests.factories import make_article

URL = "https://example.com/news/1"


def article() -> ArticleFetched:
    return make_article(URL)


def build(failures_before_success: int = 0, failure: Exception | None = None):
    settings = ServiceSettings(handler_max_attempts=3, max_event_bytes=4096)
    broker = make_broker(settings, "test")
    for policy in broker.config.broker_middlewares:
        if isinstance(policy, DeadLetterPolicy):
            policy.backoff = Backoff(first_seconds=0.001, max_seconds=0.001)
    handled: list[ArticleFetched] = []
    dead: list[DeadLetter] = []
    calls = {"n": 0}

    @broker.subscriber(ARTICLES_RAW, group_id="test")
    async def handle(event: ArticleFetched) -> None:
        calls["n"] += 1
        if calls["n"] <= failures_before_success:
            raise failure or RuntimeError("flaky downstream")
        handled.append(event)

    @broker.subscriber(dead_letter_topic(ARTICLES_RAW), group_id="dlq-reader")
    async def read_dlq(letter: DeadLetter) -> None:
        dead.append(letter)

    return broker, handled, dead, calls


async def test_a_valid_event_reaches_its_handler_and_nothing_is_dead_lettered():
    broker, handled, dead, _ = build()
    async with TestKafkaBroker(broker) as br:
        await br.publish(article(), ARTICLES_RAW)
    assert [e.title for e in handled] == ["A title"]
    assert dead == []


@pytest.mark.parametrize(
    ("payload", "reason"),
    [
        (b"{not json", "invalid event"),
        (b'{"title": "missing everything else"}', "invalid event"),
        (
            article()
            .model_dump_json()
            .replace('"schema_version":1', '"schema_version":99')
            .encode(),
            "invalid event",
        ),
        (b'{"x": "' + b"a" * 5000 + b'"}', "oversize"),
    ],
    ids=["not-json", "wrong-shape", "unknown-schema-version", "oversize"],
)
async def test_a_malformed_event_goes_to_the_dlq_with_reason_and_original_bytes(payload, reason):
    broker, handled, dead, _ = build()
    async with TestKafkaBroker(broker) as br:
        await br.publish(payload, ARTICLES_RAW, key=b"k1")
    assert handled == []
    assert len(dead) == 1
    letter = dead[0]
    assert letter.error.startswith(reason)
    assert letter.original == payload
    assert (letter.topic, letter.service, letter.key) == (ARTICLES_RAW, "test", "k1")


async def test_a_handler_that_keeps_failing_is_dead_lettered_after_bounded_attempts():
    broker, handled, dead, calls = build(failures_before_success=10)
    async with TestKafkaBroker(broker) as br:
        await br.publish(article(), ARTICLES_RAW)
    assert calls["n"] == 3
    assert handled == []
    assert dead[0].attempts == 3
    assert "flaky downstream" in dead[0].error


async def test_a_transient_failure_is_retried_and_then_succeeds():
    broker, handled, dead, calls = build(failures_before_success=2)
    async with TestKafkaBroker(broker) as br:
        await br.publish(article(), ARTICLES_RAW)
    assert calls["n"] == 3
    assert len(handled) == 1
    assert dead == []


# What FerretDB v2 answered while PostgreSQL restarted under it (from a fault-test log), and
# to a command in flight while FerretDB itself stopped (commands sent in a loop while it
# was restarted).
DATABASE_RESTARTING = [
    OperationFailure(
        "terminating connection due to administrator command",
        code=1,
        details={"codeName": "InternalError"},
    ),
    OperationFailure(
        "[pool.go:86 documentdb.(*Pool).Acquire] failed to connect to `user=postgres "
        "database=postgres`: dial tcp 127.0.0.1:27432: connect: connection refused",
        code=1,
    ),
    OperationFailure(
        "context canceled",
        code=1,
        details={"ok": 0.0, "errmsg": "context canceled", "code": 1, "codeName": "InternalError"},
    ),
]


@pytest.mark.parametrize(
    "failure", DATABASE_RESTARTING, ids=["terminated", "refused", "ferretdb-stopping"]
)
async def test_the_database_restarting_behind_ferretdb_is_waited_out_not_dead_lettered(
    failure: OperationFailure,
):
    broker, handled, dead, calls = build(failures_before_success=5, failure=failure)
    async with TestKafkaBroker(broker) as br:
        await br.publish(article(), ARTICLES_RAW)
    assert calls["n"] == 6  # more failures than the 3 attempts a message has
    assert len(handled) == 1
    assert dead == []


async def test_a_failure_of_the_request_itself_still_counts_as_an_attempt():
    refused = OperationFailure("$regex has to be a string", code=2)
    broker, handled, dead, calls = build(failures_before_success=10, failure=refused)
    async with TestKafkaBroker(broker) as br:
        await br.publish(article(), ARTICLES_RAW)
    assert calls["n"] == 3
    assert handled == []
    assert "$regex has to be a string" in dead[0].error
