"""The whole pipeline as processes (fetcher, deduplicator, summarizer, publisher, site) fed
by the local news server at a steady rate: how many articles a second reach the site, how
long each takes from its release to its post, and each process's peak memory."""

from __future__ import annotations

import asyncio
import contextlib
import os
import statistics
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Coroutine
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from starlette.applications import Starlette
from starlette.routing import Mount

from bench.freshness import measuring_freshness
from services.deduplicator.text import content_fingerprint
from services.demo.feed_server import DemoArticle, NewsServer
from services.ops.audit import audit
from shared.db import Database
from shared.kafka_connection import KafkaConnection
from tests.asgi_server import serving
from tests.infra import KAFKA, scratch_database
from tests.pipeline import Pipeline
from tests.processes import metric_samples

# What the services run with: their defaults, as deployed, but where the news server is
# unlike the web. Its feeds all live on one host (127.0.0.1), a deployment's on many: no
# politeness delay, and as many requests at once as four polls (the default) make to their
# own hosts, two each (the per-host default). The tests' FAST settings (a scheduler that
# looks five times a second, a shorter quiet time, a site cache of 5 s) are not deployed.
ONE_HOST: dict[str, dict[str, str]] = {
    "fetcher": {"host_delay_seconds": "0", "per_host_concurrency": "8"}
}


@dataclass(frozen=True)
class PipelineRun:
    offered_per_second: float
    released: int
    visible: int
    seconds: float
    latencies: list[float]
    visible_at: list[float]  # when each article first showed, in seconds from the release
    peak_memory_mib: dict[str, float]
    unaccounted: (
        int  # articles `pressroom audit` finds neither published, nor duplicate, nor dead-lettered
    )
    freshness: dict[str, Any]  # Freshness.report()
    cpu_ms_per_article: dict[str, float]  # CpuMeter, per article released
    database: dict[str, dict[str, float]]  # database_share()

    @property
    def per_second(self) -> float:
        """Articles visible over the time until the last one showed: the last ones' wait
        for their feed's next poll and the pipeline's delay count in it."""
        return self.visible / self.seconds

    @property
    def steady_per_second(self) -> float:
        """The rate at which articles reach the site once the flow is running: the middle
        80% of them (from the 10th to the 90th percentile of when each first showed) over
        the time they took. A pipeline that keeps up shows the offered rate whatever its
        delay; one that falls behind shows what it manages."""
        cuts = statistics.quantiles(self.visible_at, n=10, method="inclusive")
        return 0.8 * len(self.visible_at) / (cuts[-1] - cuts[0])

    def percentile(self, p: float) -> float:
        return statistics.quantiles(self.latencies, n=100, method="inclusive")[int(p) - 1]


def peak_memory_mib(pid: int) -> float:
    """The process's high-water resident set (VmHWM), in MiB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def peak_memory(pipeline: Pipeline) -> dict[str, float]:
    return {
        service: peak_memory_mib(process.process.pid)
        for service, process in pipeline.services.items()
    }


@asynccontextmanager
async def news_and_database(news: NewsServer) -> AsyncIterator[tuple[str, Database]]:
    """The news server's base URL (under a prefix of its own) and a scratch database."""
    prefix = uuid.uuid4().hex[:8]
    app = Starlette(routes=[Mount(f"/{prefix}", app=news.app())])
    async with serving(app) as root, scratch_database("pressroom_bench") as database:
        yield f"{root}/{prefix}", database


async def run_pipeline(
    articles: list[DemoArticle],
    per_second: float,
    workdir: Path,
    while_running: Callable[[str], Awaitable[None]] | None = None,
    while_ingesting: Callable[[str, str], Coroutine[Any, Any, None]] | None = None,
    quiet_seconds: float = 30.0,
) -> PipelineRun:
    """Release `articles` at `per_second`; from the first post on the site, run
    `while_ingesting` (the site's address and a story page's) beside the ingestion; wait
    until every article is on the site or nothing new has appeared for `quiet_seconds`
    after the last release; then, the pipeline still up, await `while_running` with the
    address of a story page. Either may be left out: the pipeline alone."""
    news = NewsServer(articles, per_second=per_second, initial=0)
    async with news_and_database(news) as (base, database):
        released_at = {f"{base}/articles/{a.slug}": n / per_second for n, a in enumerate(articles)}
        sources = workdir / "sources-steady.yaml"
        sources.write_text(news.sources_yaml(base, poll_seconds=5))
        pipeline = Pipeline(database.db.name, sources, base=ONE_HOST)
        try:
            async with measuring_freshness(KAFKA) as freshness:
                await pipeline.start_all()
                cpu = CpuMeter(pipeline)
                cpu.start()
                news.started = time.monotonic()
                started, started_at = news.started, datetime.now(UTC)
                visible = VisibleArticles(database, released_at)
                last_news = started
                last_release = started + len(articles) / per_second
                beside: asyncio.Task[None] | None = None
                while len(visible.at) < len(articles):
                    if (
                        while_ingesting is not None
                        and beside is None
                        and (first := await database.collection("posts").find_one({}, {"slug": 1}))
                    ):
                        site = pipeline.services["site"].url
                        beside = asyncio.create_task(
                            while_ingesting(site, f"{site}/story/{first['slug']}")
                        )
                    now = time.monotonic()
                    if await visible.look(now - started):
                        last_news = now
                    if now > last_release and now - max(last_news, last_release) > quiet_seconds:
                        break
                    await asyncio.sleep(1.0)
                await visible.look(time.monotonic() - started, everywhere=True)
                visible_at = visible.at
                finished = max(visible_at.values(), default=0.0)
                cpu_used = cpu.stop()  # before what runs beside adds the site's share
                if beside is not None:
                    await beside
            memory = peak_memory(pipeline)
            database_time = await database_share(pipeline, len(articles))
            shown = await database.collection("posts").find_one({}, {"slug": 1})
            story_page = f"{pipeline.services['site'].url}/story/{shown['slug']}" if shown else ""
            if while_running is not None:
                await while_running(story_page)
            report = await audit(KafkaConnection(KAFKA), database)
            released = {u: started_at + timedelta(seconds=s) for u, s in released_at.items()}
            return PipelineRun(
                per_second,
                len(articles),
                len(visible_at),
                finished,
                [visible_at[u] - released_at[u] for u in visible_at],
                sorted(visible_at.values()),
                memory,
                len(report.unaccounted),
                {
                    **freshness.report(),
                    "released_to_fetched_seconds": freshness.released_to_fetched(released),
                },
                {name: round(1000 * used / len(articles), 2) for name, used in cpu_used.items()},
                database_time,
            )
        finally:
            pipeline.stop_all()


class VisibleArticles:
    """When each released article first shows on a post of the site. A look reads the
    posts written since the look before, less a margin for writes in flight (reading them
    all each second loaded the database as the run went on); the last reads them all."""

    MARGIN = timedelta(seconds=10)

    def __init__(self, database: Database, released_at: dict[str, float]) -> None:
        self.posts = database.collection("posts")
        self.released_at = released_at
        self.at: dict[str, float] = {}  # seconds from the start of the release
        self._looked_at: datetime | None = None

    async def look(self, seconds: float, everywhere: bool = False) -> int:
        """Note the articles first seen now, `seconds` into the run; how many."""
        looking_at = datetime.now(UTC)
        written = {}
        if not everywhere and self._looked_at is not None:
            written = {"updated_at": {"$gte": self._looked_at}}
        self._looked_at = looking_at - self.MARGIN
        found = 0
        async for post in self.posts.find(written, {"sources.url": 1}):
            for source in post["sources"]:
                url = source["url"]
                if url in self.released_at and url not in self.at:
                    self.at[url] = seconds
                    found += 1
        return found


def cpu_seconds(pid: int) -> float:
    """CPU time (user and system) a process and its exited children have used, in seconds:
    PostgreSQL's postmaster holds the time of every backend that has ended."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return sum(map(int, fields[11:15])) / os.sysconf("SC_CLK_TCK")


def infrastructure_pids() -> dict[str, list[int]]:
    """The broker's and the database's processes (PostgreSQL's backends come and go: the
    ones alive at the time, beside the postmaster that holds the time of those ended)."""
    found: dict[str, list[int]] = {"kafka": [], "ferretdb": [], "postgres": []}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            command = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode()
        except OSError:
            continue
        for name, marker in (("kafka", "kafka.Kafka"), ("ferretdb", "ferretdb --listen")):
            if marker in command:
                found[name].append(int(entry.name))
        if command.startswith("postgres:") or "/bin/postgres " in command:
            found["postgres"].append(int(entry.name))
    return found


class CpuMeter:
    """CPU seconds each pipeline process and each part of the infrastructure use between
    `start` and `stop`. Each part's processes are summed, their ended children included:
    a PostgreSQL backend that ends in between counts in its postmaster's total by then."""

    def __init__(self, pipeline: Pipeline) -> None:
        self.pipeline = pipeline
        self.started: dict[str, float] = {}

    def _used_so_far(self) -> dict[str, float]:
        services = {n: [s.process.pid] for n, s in self.pipeline.services.items()}
        used = {}
        for name, pids in {**services, **infrastructure_pids()}.items():
            total = 0.0
            for pid in pids:
                with contextlib.suppress(OSError):  # ended since it was listed
                    total += cpu_seconds(pid)
            used[name] = total
        return used

    def start(self) -> None:
        self.started = self._used_so_far()

    def stop(self) -> dict[str, float]:
        return {
            name: total - self.started.get(name, 0.0) for name, total in self._used_so_far().items()
        }


async def database_share(pipeline: Pipeline, articles: int) -> dict[str, dict[str, float]]:
    """Each service's database commands and time per article (by its own metrics)."""
    share = {}
    for name, service in pipeline.services.items():
        if name == "site" or service.process.poll() is not None:
            continue
        count = await metric_samples(service.url, "pressroom_database_seconds_count")
        total = await metric_samples(service.url, "pressroom_database_seconds_sum")
        share[name] = {
            "commands_per_article": round(sum(s.value for s in count) / articles, 2),
            "ms_per_article": round(1000 * sum(s.value for s in total) / articles, 2),
        }
    return share


@dataclass(frozen=True)
class BackfillRun:
    articles: int
    distinct: int  # not exact duplicates of another
    on_site: int
    seconds: float
    peak_memory_mib: dict[str, float]
    unaccounted: int
    freshness: dict[str, Any]  # Freshness.report()
    database: dict[str, dict[str, float]]  # database_share()
    cpu_ms_per_article: dict[str, float]  # CpuMeter, per article

    @property
    def per_second(self) -> float:
        return self.on_site / self.seconds


BACKFILL_SOURCE = """sources:
- id: backfill
  name: Backfill archive
  url: {url}
  kind: jsonl
  poll_seconds: 5
  local: true
  fetch_pages: false
"""


async def run_backfill(
    articles: list[DemoArticle],
    workdir: Path,
    while_idle: Callable[[Pipeline, Database, BackfillRun], Awaitable[None]],
    quiet_seconds: float = 30.0,
) -> BackfillRun:
    """Every article at once, as one JSONL archive (each line names its outlet); wait until
    the posts account for every article but the exact duplicates, or nothing has moved for
    `quiet_seconds`; then, the pipeline up and idle, await `while_idle` (given the run's
    figures, which it may show before it begins)."""
    expected = len({content_fingerprint(a.title, a.text) for a in articles})
    async with news_and_database(NewsServer(articles)) as (base, database):
        sources = workdir / "sources-backfill.yaml"
        sources.write_text(BACKFILL_SOURCE.format(url=f"{base}/archive.jsonl"))
        pipeline = Pipeline(
            database.db.name,
            sources,
            # The archive is about 1.6 kB an article, over the 5 MB default cap.
            settings={
                "fetcher": {"max_new_entries_per_poll": "2000", "max_body_bytes": "100000000"}
            },
            base=ONE_HOST,
        )
        try:
            async with measuring_freshness(KAFKA) as freshness:
                await pipeline.start_all()
                cpu = CpuMeter(pipeline)
                cpu.start()
                started = last_change = time.monotonic()
                on_site = 0
                while on_site < expected and time.monotonic() - last_change < quiet_seconds:
                    await asyncio.sleep(2.0)
                    counts = database.collection("posts").find({}, {"article_count": 1})
                    now_on_site = sum([p["article_count"] async for p in counts])
                    if now_on_site != on_site:
                        on_site, last_change = now_on_site, time.monotonic()
            cpu_used = cpu.stop()
            memory = peak_memory(pipeline)
            database_time = await database_share(pipeline, len(articles))
            report = await audit(KafkaConnection(KAFKA), database)
            filled = BackfillRun(
                len(articles),
                expected,
                on_site,
                last_change - started,
                memory,
                len(report.unaccounted),
                freshness.report(),
                database_time,
                {name: round(1000 * used / len(articles), 2) for name, used in cpu_used.items()},
            )
            await while_idle(pipeline, database, filled)
            return filled
        finally:
            pipeline.stop_all()
