"""Where the real infrastructure is, and a clear failure when it is not there."""

from __future__ import annotations

import os
import socket
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
KAFKA = os.environ.get("PRESSROOM_KAFKA_BOOTSTRAP_SERVERS", "127.0.0.1:9092")
MONGO = os.environ.get("PRESSROOM_MONGO_URL", "mongodb://127.0.0.1:27017")


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
            f"(start it with `make infra`; its log is var/log/ferretdb.log)"
        )
    return "; ".join(problems) or None
