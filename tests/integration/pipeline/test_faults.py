"""The whole pipeline as separate processes over the real broker and database, fed over a
thousand real articles by the local news server, while every service is killed with -9
once, the broker, PostgreSQL and FerretDB are restarted, and the site is stopped
gracefully: afterwards no article is lost, no post is duplicated, every story is on the
site with all its articles, and `pressroom audit` accounts for every one."""

from __future__ import annotations

import asyncio
import random
import uuid
from collections import Counter
from collections.abc import Awaitable, Callable
from dataclasses import replace
from datetime import timedelta
from functools import partial
from pathlib import Path

import pytest
from starlette.applications import Starlette
from starlette.routing import Mount

from services.deduplicator.text import content_fingerprint
from services.demo.feed_server import DEFAULT_DATA, DemoArticle, NewsServer, read_articles
from services.ops.audit import audit
from services.ops.dead_letters import dead_letter_topic_name
from shared.db import Database
from shared.kafka_connection import KafkaConnection
from shared.topic_admin import partitions_of
from shared.topics import PIPELINE_TOPICS
from tests.asgi_server import serving
from tests.eval_data import require
from tests.infra import KAFKA, MONGO
from tests.pipeline import (
    Pipeline,
    journal_report,
    pipeline_state,
    released_urls,
    restart_infrastructure,
)
from tests.seed import seeded
from tests.waiting import eventually_async

ARTICLES = 1000


def story_articles(chance: random.Random) -> list[DemoArticle]:
    """Every real article whose title and text no other has, in an order of `chance`, then
    republished editions of some (new title and URL, same text: syndicated copies) to make
    ARTICLES."""
    articles = read_articles(DEFAULT_DATA)
    titles, texts = Counter(a.title for a in articles), Counter(a.text for a in articles)
    fingerprints = Counter(content_fingerprint(a.title, a.text) for a in articles)
    unique = [
        a
        for a in articles
        if titles[a.title]
        == texts[a.text]
        == fingerprints[content_fingerprint(a.title, a.text)]
        == 1
    ]
    chance.shuffle(unique)
    editions = [
        replace(
            a,
            id=f"{a.id}~1",
            title=f"{a.title} (update 1)",
            published=a.published + timedelta(minutes=1),
        )
        for a in unique[: max(0, ARTICLES - len(unique))]
    ]
    return sorted([*unique, *editions], key=lambda a: a.published)


async def dead_letter_counts() -> dict[str, int]:
    from aiokafka import AIOKafkaConsumer

    consumer = AIOKafkaConsumer(bootstrap_servers=KAFKA)
    await consumer.start()
    try:
        counts = {}
        for topic in PIPELINE_TOPICS:
            partitions = await partitions_of(KafkaConnection(KAFKA), dead_letter_topic_name(topic))
            ends = await consumer.end_offsets(partitions) if partitions else {}
            counts[topic] = sum(ends.values())
        return counts
    finally:
        await consumer.stop()


def describe(state: dict, released: set[str], articles: int) -> str:
    stories, posts = state["stories"], state["posts"]
    orphans = [post for i, post in posts.items() if i not in stories]
    # A post citing no article this run released came from another test's messages.
    foreign = [p for p in orphans if not {s["url"] for s in p["sources"]} & released]
    behind = [
        (i[:8], s.version, posts[i]["version"] if i in posts else None)
        for i, s in stories.items()
        if i not in posts or posts[i]["version"] != s.version
    ]
    return (
        f"released {len(released)}, emitted {len(state['emitted'] & released)}, "
        f"in stories {sum(s.article_count for s in stories.values())} of {articles}, "
        f"stories {len(stories)}, posts {len(posts)}, stories whose post is behind {behind}, "
        f"posts without a story {len(orphans)} (citing no article of this run {len(foreign)})"
    )


@pytest.mark.timeout(900)
async def test_nothing_is_lost_or_duplicated_through_kills_and_restarts(tmp_path: Path):
    require(DEFAULT_DATA)
    chance = seeded("faults")  # the stories and the fault schedule: PRESSROOM_TEST_SEED
    articles = story_articles(chance)
    assert len(articles) >= ARTICLES
    news = NewsServer(articles, per_second=20.0, initial=50)
    run = uuid.uuid4().hex[:8]
    name = f"pressroom_test_{run}"
    database = Database(MONGO, name)
    dead_before = await dead_letter_counts()
    app = Starlette(routes=[Mount(f"/{run}", app=news.app())])
    async with serving(app) as root:
        base = f"{root}/{run}"
        sources = tmp_path / "sources.yaml"
        sources.write_text(news.sources_yaml(base, poll_seconds=5))
        pipeline = Pipeline(name, sources)
        try:
            await pipeline.start_all()
            faults: list[tuple[Callable[[], Awaitable[object]], str]] = [
                *[
                    (partial(pipeline.kill_and_restart, name), f"kill -9 {name}")
                    for name in ("fetcher", "deduplicator", "summarizer", "publisher")
                ],
                (partial(restart_infrastructure, "kafka"), "restart kafka"),
                (partial(restart_infrastructure, "postgres"), "restart PostgreSQL"),
                (partial(restart_infrastructure, "ferretdb"), "restart FerretDB"),
                (partial(pipeline.terminate_and_restart, "site"), "SIGTERM the site"),
            ]
            chance.shuffle(faults)
            for fault, what in faults:
                await asyncio.sleep(chance.uniform(1.0, 4.0))
                print(f"fault: {what}")
                await fault()
            news.release_all()

            async def settled() -> bool:
                state = await pipeline_state(database)
                stories, posts = state["stories"], state["posts"]
                return (
                    state["emitted"] >= released_urls(news, base)
                    and sum(s.article_count for s in stories.values()) >= len(articles)
                    and set(posts) == set(stories)
                    and all(posts[i]["version"] == s.version for i, s in stories.items())
                )

            try:
                await eventually_async(settled, within=400, what="every article on the site")
            finally:
                state = await pipeline_state(database)
                print(describe(state, released_urls(news, base), len(articles)))
                print(await journal_report(database, state["posts"]))
                dead = await dead_letter_counts()
                print(f"dead letters: { {t: dead[t] - dead_before[t] for t in dead} }")
                print(f"uncommitted per partition: {await pipeline.lags()}")
            report = await audit(KafkaConnection(KAFKA), database)
        finally:
            pipeline.stop_all()
        await database.client.drop_database(name)  # kept when the test fails, to look at
        await database.close()

    by_url = {f"{base}/articles/{a.slug}": a for a in articles}
    assert state["emitted"] == set(by_url)  # no article lost on its way in
    members = Counter(a.article_id for s in state["stories"].values() for a in s.articles)
    assert len(members) == len(articles)  # each article in a story...
    assert set(members.values()) == {1}  # ...in exactly one
    for story_id, story in state["stories"].items():
        post = state["posts"][story_id]  # one post per story, at its newest version
        assert post["version"] == story.version
        assert post["article_count"] == story.article_count
        assert {s["article_id"] for s in post["sources"]} <= {a.article_id for a in story.articles}
    assert await dead_letter_counts() == dead_before  # nothing needed the dead-letter topics
    # The operator's own reconciliation agrees: every article on a post.
    assert report.unaccounted == []
    assert report.outcomes["published"] == report.articles == len(articles)
    stories = len(state["stories"])
    print(f"{len(articles)} articles, {stories} stories, restarts {dict(pipeline.restarts)}")
