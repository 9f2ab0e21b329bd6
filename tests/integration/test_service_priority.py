"""A service process runs at the CPU priority its settings give."""

from __future__ import annotations

import os
from pathlib import Path

from shared.db import Database
from tests.processes import running_service


def nice_value(pid: int) -> int:
    return int(Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[16])


async def test_the_publisher_yields_the_cpu_and_the_deduplicator_does_not(database: Database):
    ours = os.nice(0)
    async with running_service("publisher", database.db.name) as publisher:
        assert nice_value(publisher.process.pid) == ours + 10
    async with running_service("deduplicator", database.db.name) as deduplicator:
        assert nice_value(deduplicator.process.pid) == ours
