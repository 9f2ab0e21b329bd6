"""A service process runs at the CPU priority its settings give."""

from __future__ import annotations

import os
from pathlib import Path

from shared.db import Database
from tests.processes import running_service


def nice_value(pid: int) -> int:
    return int(Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[16])


async def test_the_fetcher_yields_the_cpu_and_the_publisher_does_not(
    database: Database, tmp_path: Path
):
    ours = os.nice(0)
    sources = tmp_path / "sources.yaml"
    sources.write_text("sources: []\n")
    async with running_service("fetcher", database.db.name, sources_file=str(sources)) as fetcher:
        assert nice_value(fetcher.process.pid) == ours + 10
    async with running_service("publisher", database.db.name) as publisher:
        assert nice_value(publisher.process.pid) == ours
