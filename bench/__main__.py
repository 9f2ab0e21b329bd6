"""`python -m bench` (`make bench`): every figure, as a table and as JSON in var/bench/."""

from __future__ import annotations

import asyncio
import json
import logging
import os
import platform
import sys
import tempfile
import time
from dataclasses import asdict
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bench.broker import measure_ceiling
from bench.corpus import backfill, demo_articles, fetched, stories
from bench.database import FERRETDB_1_MS, POSTS, database_timings
from bench.dedup_memory import in_a_process
from bench.lighthouse import LighthouseFailed
from bench.lighthouse import scores as lighthouse_scores
from bench.pipeline import BackfillRun, PipelineRun, run_backfill, run_pipeline
from bench.site import WrkResult, pages_against_nginx, site_when_idle
from bench.stages import dedup_rate, host_speed, publisher_rate, summarizer_rate
from shared.db import Database
from shared.settings import ServiceSettings, TopicSettings
from tests.infra import KAFKA, REPO
from tests.pipeline import Pipeline

STEADY_RATE = 50.0  # articles a second the news server releases
BROKER_MESSAGES = 20_000
STEADY_ARTICLES = 1000  # 20 s of release at STEADY_RATE
BACKFILL_ARTICLES = 10_000
DEDUP_MEMORY_AT = (10_000, 30_000, 50_000)


def done(stage: str, figures: Any) -> None:
    """A stage's figures the moment it ends: a bench that fails later keeps them."""
    print(f"bench: {stage}: {json.dumps(figures, default=str)}", file=sys.stderr)


def machine() -> str:
    memory = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    cpu = next(
        (
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if line.startswith("model name")
        ),
        platform.processor(),
    )
    return f"{os.cpu_count()} cores ({cpu}), {memory:.0f} GiB, Python {platform.python_version()}"


async def main() -> dict[str, Any]:
    began = time.monotonic()
    articles = demo_articles()
    print(f"bench: {len(articles)} real articles from ../shared/eval", file=sys.stderr)

    print("bench: broker ceiling (raw aiokafka)", file=sys.stderr)
    payloads = [
        (event.article_id.encode(), event.model_dump_json().encode())
        for event in map(fetched, articles)
    ]
    partitions = TopicSettings().topic_partitions
    ceiling = await measure_ceiling(KAFKA, payloads, BROKER_MESSAGES, partitions)
    done("broker ceiling", asdict(ceiling))

    print("bench: stages in process", file=sys.stderr)
    dedup = await dedup_rate([fetched(a) for a in articles])
    dedup_batches = await dedup_rate([fetched(a) for a in articles], ServiceSettings().batch_size)
    summarizer, summaries = await summarizer_rate(stories())
    publisher = await publisher_rate(summaries)
    publisher_batches = await publisher_rate(summaries, ServiceSettings().batch_size)
    stages = (dedup, dedup_batches, summarizer, publisher, publisher_batches)
    done("stages", [asdict(s) for s in stages])

    print("bench: the deduplicator's memory and restart over 50,000 articles", file=sys.stderr)
    bounded = await in_a_process(*map(str, DEDUP_MEMORY_AT))
    unbounded = await in_a_process(str(DEDUP_MEMORY_AT[0]), "--retain-all")
    done("deduplicator memory", {"bounded": bounded, "retaining_all": unbounded})

    print(f"bench: the database's reads and writes at {POSTS:,} posts", file=sys.stderr)
    database, renders_at_posts = await database_timings(summaries, fetched(articles[0]))
    done("database", {k: asdict(v) for k, v in database.items()})

    site_results: list[WrkResult] = []

    async def load_the_site(story_page: str) -> None:
        [load] = await asyncio.to_thread(pages_against_nginx, {"story": story_page})
        site_results.extend((load.site, load.nginx))
        done("site while ingesting", [asdict(load.site), asdict(load.nginx)])

    idle_site: dict[str, Any] = {}
    lighthouse: dict[str, dict[str, float] | str] = {}

    async def lighthouse_while_ingesting(site_url: str, story_page: str) -> None:
        for page, url in (("home", f"{site_url}/"), ("story", story_page)):
            try:
                lighthouse[page] = await asyncio.to_thread(lighthouse_scores, url)
            except LighthouseFailed as error:  # a figure like the others, not the bench's end
                lighthouse[page] = f"failed: {error}"
        done("lighthouse while ingesting", lighthouse)

    async def when_idle(pipeline: Pipeline, database: Database, filled: BackfillRun) -> None:
        done("backfill", {**asdict(filled), "per_second": round(filled.per_second, 2)})
        print("bench: the site with the backfill's posts, the pipeline idle", file=sys.stderr)
        # Idle: no source polled (the fetcher would read the 16 MB archive every 5 s).
        pipeline.services["fetcher"].terminate()
        site = pipeline.services["site"]
        idle_site.update(await site_when_idle(site.url, site.process.pid, database))
        done("idle site", idle_site)

    # Not the stage's figure above: by now the stories' sentences are cached (lru_cache).
    speed: dict[str, float] = {}
    with tempfile.TemporaryDirectory() as workdir:
        # The pipeline's own pace, with nothing else busy: then again beside a browser that
        # audits the site (Lighthouse's Chromium takes about half the two cores while it
        # loads a page, which no reader's browser takes of a server), and wrk after it.
        print(f"bench: pipeline at {STEADY_RATE:.0f} articles/s", file=sys.stderr)
        speed["before_pipeline"] = await host_speed(stories())
        run = await run_pipeline(backfill(STEADY_ARTICLES), STEADY_RATE, Path(workdir))
        done(f"pipeline at {STEADY_RATE:.0f}/s", pipeline_figures(run))
        print(
            f"bench: pipeline at {STEADY_RATE:.0f} articles/s beside Lighthouse, then wrk",
            file=sys.stderr,
        )
        speed["before_lighthouse"] = await host_speed(stories())
        beside = await run_pipeline(
            backfill(STEADY_ARTICLES),
            STEADY_RATE,
            Path(workdir),
            load_the_site,
            lighthouse_while_ingesting,
        )
        done(f"pipeline at {STEADY_RATE:.0f}/s beside Lighthouse", pipeline_figures(beside))
        speed["before_backfill"] = await host_speed(stories())
        done("host speed", speed)
        print(f"bench: backfill of {BACKFILL_ARTICLES} articles", file=sys.stderr)
        filled = await run_backfill(backfill(BACKFILL_ARTICLES), Path(workdir), when_idle)
    site, static = site_results

    return {
        "date": datetime.now(UTC).date().isoformat(),
        "machine": machine(),
        # The extractive summarizer's stories a second in process, before each stage.
        "host_speed": speed,
        "backfill": {
            "articles": filled.articles,
            "distinct": filled.distinct,
            "on_site": filled.on_site,
            "seconds": round(filled.seconds, 1),
            "per_second": round(filled.per_second, 2),
            "unaccounted": filled.unaccounted,
            "freshness": filled.freshness,
            "database_per_article": filled.database,
            "cpu_ms_per_article": filled.cpu_ms_per_article,
            "peak_memory_mib": {k: round(v, 1) for k, v in filled.peak_memory_mib.items()},
        },
        "pipeline": pipeline_figures(run),
        "pipeline_beside_lighthouse": pipeline_figures(beside),
        "stages_per_second": {
            s.stage: {"items": s.items, "per_second": round(s.per_second, 2)} for s in stages
        },
        "deduplicator_memory": {"bounded": bounded, "retaining_all": unbounded},
        "database": {
            "posts": POSTS,
            **{name: asdict(timing) for name, timing in database.items()},
        },
        "site": {
            r.server: {
                "requests_per_second": round(r.requests_per_second),
                "p99_ms": round(r.p99_ms, 2),
                "page_bytes": r.page_bytes,
            }
            for r in (site, static)
        },
        "site_to_nginx_ratio": round(site.requests_per_second / static.requests_per_second, 4),
        "site_idle": idle_site,
        "uncached_render_ms_at_database_posts": renders_at_posts,
        "lighthouse_while_ingesting": lighthouse,
        "broker": {
            **{k: round(v, 1) for k, v in asdict(ceiling).items()},
            "round_trip_per_second": round(ceiling.round_trip_per_second, 1),
        },
        "backfill_fraction_of_broker": round(filled.per_second / ceiling.round_trip_per_second, 5),
        "bench_seconds": round(time.monotonic() - began),
    }


def pipeline_figures(run: PipelineRun) -> dict[str, Any]:
    return {
        "articles_released": run.released,
        "articles_visible": run.visible,
        "offered_per_second": run.offered_per_second,
        "visible_per_second": round(run.per_second, 2),
        "steady_visible_per_second": round(run.steady_per_second, 2),
        "unaccounted": run.unaccounted,
        "seconds": round(run.seconds, 1),
        "release_to_visible_seconds": {f"p{p}": round(run.percentile(p), 2) for p in (50, 95, 99)},
        "freshness": run.freshness,
        "cpu_ms_per_article": run.cpu_ms_per_article,
        "database_per_article": run.database,
        "peak_memory_mib": {k: round(v, 1) for k, v in run.peak_memory_mib.items()},
    }


def site_rows(idle: dict[str, Any]) -> list[tuple[str, str]]:
    """The idle site's lines of the table."""
    posts = idle["posts"]
    rows = [
        (
            f"{page} page, idle, {posts:,} posts, 32 conns",
            f"site {v['site']['requests_per_second']} req/s p99 {v['site']['p99_ms']} ms; "
            f"nginx {v['nginx']['requests_per_second']} req/s; ratio {v['ratio']:.3f}",
        )
        for page, v in idle["pages"].items()
    ]
    views, flood = idle["story_views"], idle["unknown_addresses"]
    rows += [
        ("story page views", f"{views['counted']:,} counted of {views['requests']:,} requests"),
        (
            "unknown addresses, 32 conns",
            f"{flood['requests_per_second']} req/s p99 {flood['p99_ms']} ms; site RSS "
            f"{flood['site_rss_mib_before']} -> {flood['site_rss_mib_after']} MiB",
        ),
        *(
            (f"uncached render: {page}", f"{v['median']} ms median, {v['p95']} ms p95")
            for page, v in idle["uncached_render_ms"].items()
        ),
    ]
    return rows


def _three(seconds: dict[str, float]) -> str:
    return f"{seconds['p50']} / {seconds['p95']} / {seconds['p99']} s"


def freshness_rows(run: str, freshness: dict[str, Any]) -> list[tuple[str, str]]:
    """A run's hops and fetched-to-visible lines of the table."""
    visible = freshness["fetched_to_visible_seconds"]
    fetched = freshness.get("released_to_fetched_seconds")  # the steady run's alone
    return [
        *([(f"{run}: released_to_fetched p50 / p95 / p99", _three(fetched))] if fetched else []),
        *(
            (f"{run}: {hop} p50 / p95", f"{v['p50']} / {v['p95']} s")
            for hop, v in freshness["hops"].items()
        ),
        (
            f"{run}: fetched_to_visible p50 / p95 / p99",
            f"{_three(visible)} "
            f"({freshness['articles']:,} articles, {freshness['versions']:,} versions)",
        ),
    ]


def pipeline_rows(run: str, p: dict[str, Any]) -> list[tuple[str, str]]:
    """A 50/s run's lines of the table: its rates, delays and hops."""
    latency = p["release_to_visible_seconds"]
    return [
        (
            f"pipeline at {run}",
            f"{p['visible_per_second']} articles/s visible "
            f"({p['articles_visible']}/{p['articles_released']} in {p['seconds']} s); "
            f"unaccounted: {p['unaccounted']}",
        ),
        (
            "  its steady rate (the middle 80% of the articles)",
            f"{p['steady_visible_per_second']} articles/s visible",
        ),
        (
            f"at {run}: release to visible p50 / p95 / p99",
            f"{latency['p50']} / {latency['p95']} / {latency['p99']} s",
        ),
        *freshness_rows(f"at {run}", p["freshness"]),
    ]


def table(figures: dict[str, Any]) -> str:
    p, b = figures["pipeline"], figures["backfill"]
    beside = figures["pipeline_beside_lighthouse"]
    rate = f"{p['offered_per_second']:.0f}/s"
    rows = [
        ("date / machine", f"{figures['date']} / {figures['machine']}"),
        (
            "host speed (extractive summaries a second in process)",
            ", ".join(f"{when.replace('_', ' ')} {rate}" for when, rate in speed.items())
            if (speed := figures.get("host_speed"))
            else "not measured",
        ),
        (
            f"backfill of {b['articles']:,} articles",
            f"{b['per_second']} articles/s end to end "
            f"({b['on_site']:,} of {b['distinct']:,} distinct on the site in {b['seconds']} s); "
            f"unaccounted: {b['unaccounted']}",
        ),
        *pipeline_rows(rate, p),
        *pipeline_rows(f"{rate} beside Lighthouse", beside),
        *freshness_rows("backfill", b["freshness"]),
        *(
            (
                f"{run}: database per article, {service}",
                f"{v['commands_per_article']} commands, {v['ms_per_article']} ms",
            )
            for run, share in (
                ("backfill", b["database_per_article"]),
                (f"at {rate}", p["database_per_article"]),
            )
            for service, v in share.items()
        ),
        *(
            (
                f"{run}: CPU per article",
                ", ".join(f"{name} {ms} ms" for name, ms in cpu.items())
                + f" (all: {sum(cpu.values()):.1f} ms)",
            )
            for run, cpu in (
                ("backfill", b["cpu_ms_per_article"]),
                (f"at {rate}", p["cpu_ms_per_article"]),
                (f"at {rate} beside Lighthouse", beside["cpu_ms_per_article"]),
            )
        ),
        *(
            (f"stage: {stage}", f"{v['per_second']} /s ({v['items']} items)")
            for stage, v in figures["stages_per_second"].items()
        ),
        *(
            (
                f"peak memory: {service}",
                f"{mib} MiB in the backfill, {p['peak_memory_mib'][service]} MiB at {rate}",
            )
            for service, mib in b["peak_memory_mib"].items()
        ),
        *(
            (
                f"deduplicator at {int(n):,} articles",
                f"RSS {v['rss_mib']} MiB holding {v['articles_held']:,}; restarted in "
                f"{v['restart_seconds']} s to {v['restarted_rss_mib']} MiB"
                + (
                    f" (keeping all: RSS {kept['rss_mib']} MiB, restarted in "
                    f"{kept['restart_seconds']} s to {kept['restarted_rss_mib']} MiB)"
                    if (kept := figures["deduplicator_memory"]["retaining_all"]["at"].get(n))
                    else ""
                ),
            )
            for n, v in figures["deduplicator_memory"]["bounded"]["at"].items()
        ),
        *(
            (
                f"database at {figures['database']['posts']:,} posts: {name.removesuffix('_ms')}",
                f"{v['median']} ms median, {v['p95']} ms p95"
                + (f" (FerretDB 1.24: ~{was:,} ms)" if (was := FERRETDB_1_MS.get(name)) else ""),
            )
            for name, v in figures["database"].items()
            if name != "posts"
        ),
        *(
            (
                f"story page, 32 conns: {server}",
                f"{v['requests_per_second']} req/s, p99 {v['p99_ms']} ms",
            )
            for server, v in figures["site"].items()
        ),
        ("site / nginx", f"{figures['site_to_nginx_ratio']:.3f}"),
        *site_rows(figures["site_idle"]),
        *(
            (
                f"uncached render at {figures['database']['posts']:,} posts: {page}",
                f"{v['median']} ms median, {v['p95']} ms p95",
            )
            for page, v in figures["uncached_render_ms_at_database_posts"].items()
        ),
        *(
            (
                f"lighthouse (mobile), {page} page, ingesting",
                scores
                if isinstance(scores, str)
                else ", ".join(f"{name} {score:.2f}" for name, score in scores.items()),
            )
            for page, scores in figures["lighthouse_while_ingesting"].items()
        ),
        (
            "broker ceiling (raw aiokafka)",
            f"produce {figures['broker']['produce_per_second']:.0f}/s, consume "
            f"{figures['broker']['consume_per_second']:.0f}/s, both "
            f"{figures['broker']['round_trip_per_second']:.0f}/s",
        ),
        ("backfill / broker", f"{figures['backfill_fraction_of_broker']:.5f}"),
        ("bench took", f"{figures['bench_seconds']} s"),
    ]
    width = max(len(name) for name, _ in rows)
    return "\n".join(f"{name:<{width}}  {value}" for name, value in rows)


if __name__ == "__main__":
    logging.getLogger("httpx2").setLevel(logging.WARNING)
    figures = asyncio.run(main())
    out = REPO / "var" / "bench"
    out.mkdir(parents=True, exist_ok=True)
    path = out / f"bench-{datetime.now(UTC):%Y%m%dT%H%M%SZ}.json"
    path.write_text(json.dumps(figures, indent=2) + "\n")
    print(table(figures))
    print(f"\nJSON: {path.relative_to(REPO)}")
