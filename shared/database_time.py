"""How long the database takes for each service: every command the driver sends, timed as
the driver sees it (the round trip included), by command and collection."""

from __future__ import annotations

from prometheus_client import Histogram
from pymongo import monitoring

database_seconds = Histogram(
    "pressroom_database_seconds",
    "Database commands by command (find, insert, update, findAndModify, ...) and collection, "
    "timed from sending to the answer.",
    ["command", "collection"],
    buckets=(0.0005, 0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.25, 0.5, 1, 5),
)


class CommandTimer(monitoring.CommandListener):
    """A PyMongo listener that observes `database_seconds` for each command."""

    def __init__(self) -> None:
        self._collections: dict[int, str] = {}  # request id -> collection, while in flight

    def started(self, event: monitoring.CommandStartedEvent) -> None:
        target = event.command.get(event.command_name)
        self._collections[event.request_id] = target if isinstance(target, str) else ""

    def succeeded(self, event: monitoring.CommandSucceededEvent) -> None:
        self._observe(event.request_id, event.command_name, event.duration_micros)

    def failed(self, event: monitoring.CommandFailedEvent) -> None:
        self._observe(event.request_id, event.command_name, event.duration_micros)

    def _observe(self, request_id: int, command: str, micros: int) -> None:
        collection = self._collections.pop(request_id, "")
        database_seconds.labels(command, collection).observe(micros / 1e6)
