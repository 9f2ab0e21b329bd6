"""The deduplicator's memory and restart time over a long stream, in a process of its own
(`python -m bench.dedup_memory N [N ...]`, one JSON line out).

The real articles are told again and again, each retelling later by the span of the file
and with its words shuffled (the same terms to cluster by, no syndicated copy of the last
retelling), so 50,000 articles span months. Each is decided and applied as the service
does; the journal entries are written in bulk and a snapshot taken every
`snapshot_every_entries`, as the service takes them. At each count asked for: the
process's RSS, and a restart in a new process, as the service restarts (newest snapshot,
then the journal after it): how long it takes and the restarted process's RSS.

The restart runs in a process of its own because a second state built in this one leaves
its freed memory in this process's heap: measured here, each earlier restart added ~19 MiB
to the RSS of every later count, which read as a deduplicator whose memory creeps.
"""

from __future__ import annotations

import asyncio
import gc
import json
import random
import sys
import time
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

from bench.corpus import demo_articles, fetched
from services.deduplicator.deduplicator import Deduplicator
from services.deduplicator.journal import Journal, entry_document
from services.deduplicator.settings import DeduplicatorSettings
from services.deduplicator.snapshot import Snapshots, snapshot_documents
from services.deduplicator.state import Assignment, DedupState
from services.demo.feed_server import DemoArticle
from shared.db import Database
from shared.events import ArticleFetched
from tests.infra import MONGO, scratch_database

WRITE_EVERY = 500


def retold(articles: list[DemoArticle]) -> Iterator[ArticleFetched]:
    """The articles, then each retelling of them, for ever."""
    earliest = min(a.published for a in articles)
    span = max(a.published for a in articles) - earliest
    chance = random.Random(11)
    for telling in range(1_000_000):
        for article in articles:
            if telling == 0:
                yield fetched(article)
                continue
            title, text = article.title.split(), article.text.split()
            chance.shuffle(title)
            chance.shuffle(text)
            yield fetched(
                replace(
                    article,
                    id=f"{article.id}~{telling}",
                    title=" ".join(title),
                    text=" ".join(text),
                    published=article.published + telling * span,
                )
            )


def rss_mib() -> float:
    gc.collect()
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


async def measure(counts: list[int], retention_hours: float | None) -> dict[str, Any]:
    settings = DeduplicatorSettings()
    if retention_hours is not None:
        settings = DeduplicatorSettings(retention_hours=retention_hours)
    state = DedupState(settings)
    figures: dict[str, Any] = {"retention_hours": settings.retention_hours, "at": {}}
    async with scratch_database("pressroom_bench") as database:
        journal, snapshots = database.collection("dedup_journal"), Snapshots(database)
        pending: list[dict[str, Any]] = []
        last_snapshot = 0
        started = time.perf_counter()
        stream = retold(demo_articles())
        for n in range(1, max(counts) + 1):
            decision = state.decide(next(stream))
            if isinstance(decision, Assignment):
                pending.append(entry_document(state.position, decision))
                state.apply(decision)
            if len(pending) >= WRITE_EVERY or n in counts:
                if pending:
                    await journal.insert_many(pending)
                pending = []
            if state.position - last_snapshot >= settings.snapshot_every_entries:
                last_snapshot = state.position
                await snapshots.save(*snapshot_documents(state))
            if n in counts:
                seconds = time.perf_counter() - started
                figures["at"][n] = {
                    "rss_mib": round(rss_mib(), 1),
                    "articles_held": len(state.articles),
                    "articles_per_second": round(n / seconds, 1),
                    **await restarted(database.db.name, state.position, retention_hours),
                }
    return figures


async def restarted(database: str, position: int, retention_hours: float | None) -> dict[str, Any]:
    """A restart from `database` in a new process: its seconds and RSS."""
    arguments = ["--restart", database, str(position)]
    if retention_hours is not None:
        arguments.append(f"--retention-hours={retention_hours}")
    return await in_a_process(*arguments)


async def in_a_process(*arguments: str) -> dict[str, Any]:
    """`python -m bench.dedup_memory` with `arguments` in a process of its own (so that its
    RSS is the deduplicator's): its JSON line."""
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bench.dedup_memory", *arguments, stdout=asyncio.subprocess.PIPE
    )
    out, _ = await process.communicate()
    if process.returncode:
        raise SystemExit(f"bench: bench.dedup_memory {' '.join(arguments)} failed")
    return dict(json.loads(out.decode().splitlines()[-1]))


async def restart(
    database_name: str, position: int, retention_hours: float | None
) -> dict[str, Any]:
    settings = DeduplicatorSettings()
    if retention_hours is not None:
        settings = DeduplicatorSettings(retention_hours=retention_hours)
    database = Database(MONGO, database_name)
    try:
        began = time.perf_counter()
        deduplicator = Deduplicator(Journal(database), settings, snapshots=Snapshots(database))
        await deduplicator.catch_up()
        seconds = time.perf_counter() - began
        assert deduplicator.state.position == position, (deduplicator.state.position, position)
        return {"restart_seconds": round(seconds, 2), "restarted_rss_mib": round(rss_mib(), 1)}
    finally:
        await database.close()


if __name__ == "__main__":
    options = {a.split("=")[0]: a.partition("=")[2] for a in sys.argv[1:] if a.startswith("--")}
    plain = [a for a in sys.argv[1:] if not a.startswith("--")]
    hours = float(options["--retention-hours"]) if "--retention-hours" in options else None
    if "--restart" in options:
        result = asyncio.run(restart(plain[0], int(plain[1]), hours))
    else:
        everything = "--retain-all" in options
        result = asyncio.run(
            measure([int(a) for a in plain], 24 * 365 * 1000 if everything else None)
        )
    print(json.dumps(result))
