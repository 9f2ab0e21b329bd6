"""The optional embeddings endpoint: the local OpenAI-compatible server over the real
model, the deduplicator's client, and what the deduplicator and the eval do with them."""

from __future__ import annotations

import math
from pathlib import Path

import httpx2
import pytest

from services.deduplicator.deduplicator import Deduplicator
from services.deduplicator.embeddings import EmbeddingsClient, EmbeddingsError
from services.deduplicator.evaluation import replay
from services.deduplicator.journal import Journal
from services.deduplicator.settings import DeduplicatorSettings
from shared.db import Database
from tests.factories import write_labelled
from tests.unit.deduplicator.articles import ORIGINAL, OTHER_OUTLET, UNRELATED

SENATE = "The Senate passed the $1 trillion infrastructure bill on Tuesday."
SENATORS = "Senators approved a trillion-dollar package for roads and bridges."
STORM = "Hurricane Ida flooded towns along the Louisiana coast."


def cosine(a: tuple[float, ...], b: tuple[float, ...]) -> float:
    return sum(x * y for x, y in zip(a, b, strict=True))


async def test_texts_about_one_event_come_back_closer_than_unrelated_ones(
    embeddings: EmbeddingsClient,
):
    senate, senators, storm = await embeddings.embed([SENATE, SENATORS, STORM])

    assert len(senate) == 384
    assert math.isclose(sum(x * x for x in senate), 1.0, rel_tol=1e-6)
    assert cosine(senate, senators) > cosine(senate, storm) + 0.2
    (alone,) = await embeddings.embed([STORM])  # the same text, alone, the same vector
    assert cosine(alone, storm) > 0.999


async def test_a_bad_request_gets_a_clear_error_and_a_wrong_endpoint_raises(embeddings_url: str):
    async with httpx2.AsyncClient() as http:
        refused = await http.post(f"{embeddings_url}/embeddings", json={"input": []})
    assert refused.status_code == 400
    assert "1 to 256 texts" in refused.json()["error"]["message"]

    wrong = EmbeddingsClient(embeddings_url.removesuffix("/v1"), "bge-small-en-v1.5")
    with pytest.raises(EmbeddingsError, match="404"):
        await wrong.embed([SENATE])
    await wrong.close()


async def test_the_deduplicator_journals_each_articles_embedding_for_a_restart(
    database: Database, embeddings: EmbeddingsClient
):
    settings = DeduplicatorSettings()
    before = Deduplicator(Journal(database), settings, embeddings)
    for article in (UNRELATED, ORIGINAL, OTHER_OUTLET):
        await before.process(article)
    # Restarted without the endpoint: nothing is asked again, everything is in the journal.
    after = Deduplicator(Journal(database), settings)
    await after.catch_up()

    for state in (before.state, after.state):
        clustered = state.clusterer.articles
        assert all(clustered[a.article_id].embedding is not None for a in (ORIGINAL, UNRELATED))
        assert state.articles[ORIGINAL.article_id].story_id == (
            state.articles[OTHER_OUTLET.article_id].story_id
        )
    assert after.state.clusterer.articles == before.state.clusterer.articles


async def test_the_eval_mixes_in_the_endpoints_embeddings(tmp_path: Path, embeddings_url: str):
    rows = [
        ("a1", "a", "Senate passes infrastructure bill", SENATE, "A"),
        (
            "a2",
            "a",
            "Lawmakers back highway funds",
            "Congress voted new money for roads, railways, ports and airports in a spending bill.",
            "B",
        ),
        ("b1", "b", "Storm floods Louisiana", STORM, "A"),
    ]
    path = write_labelled(tmp_path / "labelled.jsonl", rows)

    lexical = await replay(path, None, DeduplicatorSettings())
    mixed = await replay(path, None, DeduplicatorSettings(embeddings_url=embeddings_url))

    assert lexical.pairwise_f1 < 1.0  # one word in common ("bill") is not enough...
    assert mixed.pairwise_f1 == 1.0  # ...with what the texts mean, it is
