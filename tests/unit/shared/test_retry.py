"""Retrying: what kind of failure an error is, and how long the waits are."""

from __future__ import annotations

import json

import pytest
from aiokafka.errors import KafkaConnectionError, MessageSizeTooLargeError
from pydantic import BaseModel, ValidationError
from pymongo.errors import AutoReconnect, DuplicateKeyError

from shared.retry import Backoff, Failure, classify


class Shape(BaseModel):
    n: int


def validation_error() -> ValidationError:
    try:
        Shape.model_validate({"n": "many"})
    except ValidationError as error:
        return error
    raise AssertionError("validated")


@pytest.mark.parametrize(
    ("error", "failure"),
    [
        (KafkaConnectionError(), Failure.OUTAGE),
        (AutoReconnect("connection reset"), Failure.OUTAGE),
        (validation_error(), Failure.PERMANENT),
        (json.JSONDecodeError("no", "{", 0), Failure.PERMANENT),
        # A Kafka error, but no wait makes the event smaller.
        (MessageSizeTooLargeError(), Failure.PERMANENT),
        (DuplicateKeyError("E11000"), Failure.RETRYABLE),
        (RuntimeError("a bug"), Failure.RETRYABLE),
    ],
)
def test_each_error_is_an_outage_a_permanent_failure_or_retryable(error, failure):
    assert classify(error) is failure


def test_waits_double_up_to_the_cap():
    without_jitter = Backoff(first_seconds=1, max_seconds=10, jitter=0)
    assert [without_jitter.seconds(n) for n in range(1, 7)] == [1, 2, 4, 8, 10, 10]
    assert without_jitter.seconds(10_000) == 10  # no overflow however long it fails


@pytest.mark.parametrize("draw", [0.0, 0.5, 0.999])
def test_jitter_shortens_a_wait_by_at_most_its_share(draw):
    backoff = Backoff(first_seconds=2, max_seconds=60, jitter=0.5, random=lambda: draw)
    assert 4 * 0.5 <= backoff.seconds(2) <= 4
    assert backoff.seconds(2) == pytest.approx(4 * (1 - 0.5 * draw))


def test_replicas_failing_together_do_not_all_wait_the_same():
    backoff = Backoff(first_seconds=1, max_seconds=60)
    assert len({round(backoff.seconds(3), 6) for _ in range(20)}) > 1


def test_a_servers_retry_after_lengthens_the_wait_but_not_past_the_cap():
    backoff = Backoff(first_seconds=1, max_seconds=30, jitter=0)
    assert backoff.seconds(1, at_least=12) == 12
    assert backoff.seconds(1, at_least=900) == 30
    assert backoff.seconds(4, at_least=0.5) == 8


def test_a_wait_that_is_not_positive_is_refused():
    with pytest.raises(ValueError, match="positive"):
        Backoff(first_seconds=0, max_seconds=1)
    with pytest.raises(ValueError, match="share"):
        Backoff(first_seconds=1, max_seconds=1, jitter=1)
