"""Batch subscribers (shared/batches.py), through FastStream's in-memory TestKafkaBroker:
one bad message of a batch is dead-lettered alone, and its neighbours are handled."""

from __future__ import annotations

from collections.abc import Sequence

from faststream.kafka import TestKafkaBroker
from pymongo.errors import AutoReconnect

from shared.batches import AsDocumented, Received, handle_together, raw_bodies, read_batch
from shared.broker import installed, make_broker
from shared.dead_letters import DeadLetterPolicy
from shared.events import ArticleFetched, DeadLetter
from shared.retry import Backoff
from shared.settings import ServiceSettings
from shared.topics import ARTICLES_RAW, dead_letter_topic
from tests.factories import make_article


def build(fail_on: str | None = None, outages: int = 0):
    """A batch subscriber of articles.raw that fails, each time, on the article titled
    `fail_on`, and on the first `outages` batches for want of the database."""
    broker = make_broker(ServiceSettings(handler_max_attempts=2, max_event_bytes=4096), "test")
    dead_letters = installed(broker, DeadLetterPolicy)
    dead_letters.backoff = Backoff(first_seconds=0.001, max_seconds=0.001)
    handled: list[str] = []
    dead: list[DeadLetter] = []
    calls = {"n": 0}

    async def handle(articles: Sequence[Received[ArticleFetched]]) -> None:
        calls["n"] += 1
        if calls["n"] <= outages:
            raise AutoReconnect("the database is away")
        if any(each.event.title == fail_on for each in articles):
            raise RuntimeError(f"cannot handle {fail_on}")
        handled.extend(each.event.title for each in articles)

    @broker.subscriber(ARTICLES_RAW, group_id="test", batch=True, decoder=raw_bodies)
    async def on_articles(unread: AsDocumented[list[ArticleFetched]]) -> None:
        await handle_together(await read_batch(ArticleFetched, dead_letters), handle, dead_letters)

    @broker.subscriber(dead_letter_topic(ARTICLES_RAW), group_id="dlq-reader")
    async def read_dlq(letter: DeadLetter) -> None:
        dead.append(letter)

    return broker, handled, dead, calls


def article(title: str) -> bytes:
    return make_article(f"https://example.com/{title}", title=title).model_dump_json().encode()


async def test_a_malformed_or_oversize_message_of_a_batch_is_dead_lettered_alone():
    broker, handled, dead, _ = build()
    oversize = b'{"x": "' + b"a" * 5000 + b'"}'
    async with TestKafkaBroker(broker) as br:
        await br.publish_batch(
            article("first"), b"{not json", oversize, article("last"), topic=ARTICLES_RAW
        )
    assert handled == ["first", "last"]
    assert [(letter.error.split(":")[0], letter.original) for letter in dead] == [
        ("invalid event", b"{not json"),
        ("oversize", oversize[: len(dead[1].original)]),
    ]
    assert [letter.service for letter in dead] == ["test", "test"]


async def test_an_event_its_handler_keeps_failing_on_is_dead_lettered_and_the_rest_handled():
    broker, handled, dead, _ = build(fail_on="second")
    async with TestKafkaBroker(broker) as br:
        await br.publish_batch(
            article("first"), article("second"), article("third"), topic=ARTICLES_RAW
        )
    assert handled == ["first", "third"]
    assert len(dead) == 1
    assert dead[0].error == "RuntimeError: cannot handle second"
    assert dead[0].attempts == 2
    assert ArticleFetched.model_validate_json(dead[0].original).title == "second"


async def test_an_outage_is_waited_out_for_the_whole_batch_and_nothing_is_dead_lettered():
    broker, handled, dead, calls = build(outages=2)
    async with TestKafkaBroker(broker) as br:
        await br.publish_batch(article("first"), article("second"), topic=ARTICLES_RAW)
    assert handled == ["first", "second"]
    assert calls["n"] == 3  # two outages, then the batch at once
    assert dead == []
