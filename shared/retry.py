"""One way to retry: what kind of failure an error is, and how long to wait before the
next try.

- outage: the broker or the database is away (restarting, electing a leader, timing out).
  Not the work's fault: waited out, never counted as an attempt, never dead-lettered.
- permanent: the work can never succeed (malformed, too large to publish): no retry.
- retryable: anything else: retried a bounded number of times, then given up (the caller
  dead-letters it, or falls back).

Waits double from a first wait up to a cap, each shortened by a random share (jitter), so
replicas that failed together do not all come back in the same instant.
"""

from __future__ import annotations

import json
import random
from collections.abc import Callable
from dataclasses import dataclass, field
from enum import StrEnum

from aiokafka.errors import KafkaError, MessageSizeTooLargeError
from fast_depends.exceptions import ValidationError as DependsValidationError
from pydantic import ValidationError
from pymongo.errors import AutoReconnect, ConnectionFailure, NetworkTimeout, PyMongoError

from shared.db import is_server_away

MALFORMED = (ValidationError, DependsValidationError, json.JSONDecodeError, UnicodeDecodeError)
# The broker or the database being away (restarting, electing a leader, timing out) is
# never the message's fault: any Kafka error a handler meets is one of those.
OUTAGES = (ConnectionFailure, AutoReconnect, NetworkTimeout, KafkaError)


class Failure(StrEnum):
    OUTAGE = "outage"
    PERMANENT = "permanent"
    RETRYABLE = "retryable"


def is_outage(error: BaseException) -> bool:
    """The broker or the database is away: one of OUTAGES, or the database answering that
    it cannot reach its storage (FerretDB while PostgreSQL restarts)."""
    if isinstance(error, MessageSizeTooLargeError):  # a KafkaError, but the event's fault
        return False
    return isinstance(error, OUTAGES) or (isinstance(error, PyMongoError) and is_server_away(error))


def classify(error: BaseException) -> Failure:
    if isinstance(error, (*MALFORMED, MessageSizeTooLargeError)):
        return Failure.PERMANENT
    if is_outage(error):
        return Failure.OUTAGE
    return Failure.RETRYABLE


@dataclass(frozen=True)
class Backoff:
    """Capped exponential backoff with jitter: the wait before try `attempt + 1` is
    `first_seconds * 2 ** (attempt - 1)`, capped at `max_seconds`, less a random share of
    up to `jitter` of it."""

    first_seconds: float
    max_seconds: float
    jitter: float = 0.5
    random: Callable[[], float] = field(default=random.random, repr=False, compare=False)

    def __post_init__(self) -> None:
        if self.first_seconds <= 0 or self.max_seconds <= 0:
            raise ValueError("waits are positive")
        if not 0 <= self.jitter < 1:
            raise ValueError("jitter is a share: 0 <= jitter < 1")

    def seconds(self, attempt: int, *, at_least: float | None = None) -> float:
        """The wait after failed try number `attempt` (1 for the first); `at_least` (a
        server's Retry-After, say) lengthens it, never beyond the cap."""
        exponent = min(max(attempt, 1) - 1, 64)  # 2**64 times any first wait passes any cap
        capped = min(self.max_seconds, self.first_seconds * 2.0**exponent)
        wait = capped * (1 - self.jitter * self.random())
        if at_least is not None:
            wait = max(wait, min(at_least, self.max_seconds))
        return wait
