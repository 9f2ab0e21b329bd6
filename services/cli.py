"""`pressroom`: the one command operators use."""

from __future__ import annotations

import asyncio
import importlib
import json
from dataclasses import asdict
from pathlib import Path
from typing import Annotated

import typer

from shared.settings import ServiceSettings, TopicSettings, load_settings
from shared.topic_admin import create_topics, describe_topics

app = typer.Typer(
    help="Pressroom: turns news feeds into a public AI news site.", no_args_is_help=True
)
topics_app = typer.Typer(help="Kafka topics of the pipeline.", no_args_is_help=True)
app.add_typer(topics_app, name="topics")
eval_app = typer.Typer(help="Measure quality on labelled data.", no_args_is_help=True)
app.add_typer(eval_app, name="eval")

SERVICES = ("fetcher", "deduplicator", "summarizer", "publisher", "site")


@app.command()
def serve(service: Annotated[str, typer.Argument(help=f"One of: {', '.join(SERVICES)}.")]) -> None:
    """Run one service until SIGTERM: its Kafka handlers and its HTTP endpoints."""
    if service not in SERVICES:
        raise typer.BadParameter(f"unknown service {service!r}; one of: {', '.join(SERVICES)}")
    from shared.service import serve as run

    module = importlib.import_module(f"services.{service}.app")
    settings: ServiceSettings = module.settings
    run(module.app, settings)


@topics_app.command("create")
def topics_create() -> None:
    """Create the pipeline topics and their .dlq twins that do not exist yet."""
    settings = load_settings(TopicSettings)
    created = asyncio.run(
        create_topics(
            settings.kafka_bootstrap_servers,
            settings.topic_partitions,
            settings.topic_replication_factor,
        )
    )
    typer.echo(f"created: {', '.join(created)}" if created else "all topics exist")


@topics_app.command("describe")
def topics_describe() -> None:
    """Print each Pressroom topic with its partition count."""
    settings = load_settings(TopicSettings)
    for name, partitions in asyncio.run(describe_topics(settings.kafka_bootstrap_servers)).items():
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
    """Replay labelled articles through the story clusterer and score it."""
    from services.deduplicator.evaluation import evaluate

    scores = asyncio.run(evaluate(path, shuffle))
    order = f"shuffled (seed {shuffle})" if shuffle is not None else "by published"
    typer.echo(f"articles replayed {order}")
    typer.echo(
        f"pairwise  precision {scores.pairwise_precision:.3f}  recall {scores.pairwise_recall:.3f}"
        f"  F1 {scores.pairwise_f1:.3f}"
    )
    typer.echo(
        f"B-cubed   precision {scores.bcubed_precision:.3f}  recall {scores.bcubed_recall:.3f}"
        f"  F1 {scores.bcubed_f1:.3f}"
    )
    typer.echo(json.dumps({k: round(v, 4) for k, v in asdict(scores).items()}))


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


if __name__ == "__main__":
    app()
