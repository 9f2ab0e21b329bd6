"""Where the real infrastructure is, and a clear failure when it is not there."""

from __future__ import annotations

import os
import re
import socket
import uuid
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from pathlib import Path

import httpx2
import pytest

from shared.db import Database

REPO = Path(__file__).resolve().parent.parent
KAFKA = os.environ.get("PRESSROOM_KAFKA_BOOTSTRAP_SERVERS", "127.0.0.1:9092")
MONGO = os.environ.get("PRESSROOM_MONGO_URL", "mongodb://127.0.0.1:27017")
FERRETDB_DEBUG = os.environ.get("PRESSROOM_FERRETDB_DEBUG_ADDR", "127.0.0.1:27019")


def address_of(url: str) -> tuple[str, int]:
    hostport = url.split("://", 1)[-1].split("/", 1)[0].split(",", 1)[0]
    host, _, port = hostport.rpartition(":")
    return host, int(port)


def reachable(address: tuple[str, int], timeout: float = 1.0) -> bool:
    try:
        with socket.create_connection(address, timeout=timeout):
            return True
    except OSError:
        return False


def why_down(kafka: str = KAFKA, mongo: str = MONGO) -> str | None:
    """A message naming each piece of infrastructure that does not answer, or None."""
    problems = []
    if not reachable(address_of(kafka)):
        problems.append(
            f"the Kafka broker is down: nothing answers at {kafka} "
            f"(start it with `make infra`; its log is var/log/kafka.log)"
        )
    if not reachable(address_of(mongo)):
        problems.append(
            f"the MongoDB-compatible server is down: nothing answers at {mongo} "
            "(start it with `make infra`; its logs are var/log/ferretdb.log and "
            "var/log/postgres.log)"
        )
    return "; ".join(problems) or None


@asynccontextmanager
async def scratch_database(prefix: str = "pressroom_test") -> AsyncIterator[Database]:
    """A database of its own on the test server, dropped afterwards."""
    database = Database(MONGO, f"{prefix}_{uuid.uuid4().hex[:12]}")
    try:
        yield database
    finally:
        await database.client.drop_database(database.db.name)
        await database.close()


def postgresql_connections_opened() -> int | None:
    """How many PostgreSQL connections FerretDB has opened since it started (its debug
    metrics); None when the server is not FerretDB."""
    try:
        metrics = httpx2.get(f"http://{FERRETDB_DEBUG}/debug/metrics", timeout=2.0).text
    except httpx2.HTTPError:
        return None
    found = re.search(r"^ferretdb_unstable_pool_opened_total (\S+)$", metrics, re.MULTILINE)
    return int(float(found.group(1))) if found else None


@contextmanager
def postgresql_connections_kept(allowed: int = 2) -> Iterator[None]:
    """The block opens at most `allowed` new PostgreSQL connections in FerretDB (its pool
    may grow by one for another client); the test is skipped when the server is not
    FerretDB."""
    opened = postgresql_connections_opened()
    if opened is None:
        pytest.skip("the server is not FerretDB")
    yield
    assert (postgresql_connections_opened() or 0) - opened <= allowed
