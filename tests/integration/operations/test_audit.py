"""`pressroom audit` over the real broker and database: a published article, a duplicate
of it, one the deduplicator never decided, and one whose story's post is older than its
arrival, which it names with where they were seen."""

from __future__ import annotations

import uuid

from services.deduplicator.deduplicator import Deduplicator
from services.deduplicator.journal import Journal
from services.deduplicator.settings import DeduplicatorSettings
from services.ops.audit import audit
from shared.broker import make_broker
from shared.db import Database
from shared.kafka_connection import KafkaConnection
from shared.settings import ServiceSettings
from shared.topics import ARTICLES_RAW
from tests.factories import make_article
from tests.infra import KAFKA

TEXT = (
    "The harbour authority reopened the northern quay on Monday after six weeks of repairs "
    "to its crane rails, and the first container ship berthed there by noon."
)


async def test_each_article_is_published_a_duplicate_or_named_as_unaccounted(database: Database):
    run = uuid.uuid4().hex[:8]
    original = make_article(
        f"https://quay.example/{run}/a", title="Northern quay reopens", text=TEXT
    )
    duplicate = make_article(
        f"https://mirror.example/{run}/a", title="Northern quay reopens", text=TEXT
    )
    stray = make_article(
        f"https://quay.example/{run}/b", title="Ferry fares rise", text="Fares rose."
    )
    late = make_article(  # a syndicated copy: it joins the story at its version 2
        f"https://wire.example/{run}/a", title="Quay open again", text=TEXT
    )
    broker = make_broker(ServiceSettings(kafka_bootstrap_servers=KAFKA), "test-writer")
    async with broker:
        await broker.start()
        for article in (original, duplicate, stray, late):
            await broker.publish(article, ARTICLES_RAW, key=article.article_id.encode())
    seen = database.collection("fetcher_seen")
    for article in (original, duplicate, stray, late):
        await seen.insert_one({"_id": article.article_id, "outcome": "emitted"})
    deduplicator = Deduplicator(Journal(database), DeduplicatorSettings())
    outcome = await deduplicator.process(original)
    assert (await deduplicator.process(duplicate)).decision == "duplicate"
    assert outcome.story is not None
    await database.collection("posts").insert_one({"_id": outcome.story.story_id, "version": 1})
    assert (await deduplicator.process(late)).decision == "copy"

    report = await audit(KafkaConnection(KAFKA), database)

    assert report.articles == 4
    assert dict(report.outcomes) == {"published": 1, "duplicate": 1, "unaccounted": 2}
    missing = {m.article_id: m.last_seen for m in report.unaccounted}
    assert "not in the deduplicator's journal" in missing[stray.article_id]
    assert "since its version 2 (journal); its post shows version 1" in missing[late.article_id]
