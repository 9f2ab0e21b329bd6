"""The database module against the real MongoDB-compatible server."""

from __future__ import annotations

import asyncio

import pytest
from pymongo.errors import DuplicateKeyError, OperationFailure

from shared.db import Database, at_most, count_matching, is_duplicate_key, upsert
from shared.metrics import registry
from tests.infra import postgresql_connections_kept


async def test_a_document_written_is_read_back(database: Database):
    posts = database.collection("posts")
    await posts.insert_one({"story_id": "s1", "headline": "Ünïcode — headline", "version": 1})
    found = await posts.find_one({"story_id": "s1"}, {"_id": 0})
    assert found == {"story_id": "s1", "headline": "Ünïcode — headline", "version": 1}


async def test_a_unique_index_refuses_a_second_document_with_the_same_key(database: Database):
    posts = database.collection("posts")
    await posts.create_index("story_id", unique=True)
    await posts.insert_one({"story_id": "s1"})
    with pytest.raises(DuplicateKeyError):
        await posts.insert_one({"story_id": "s1"})
    assert await posts.count_documents({}) == 1


async def test_ping_answers_true_when_the_server_is_up(database: Database):
    assert await database.ping() is True


async def test_ping_answers_false_when_nothing_listens():
    db = Database("mongodb://127.0.0.1:1", "nothing", timeout_ms=300)
    try:
        assert await db.ping() is False
    finally:
        await db.close()


async def test_upserts_of_one_id_racing_all_land_on_one_document(database: Database):
    days = database.collection("digests")
    await asyncio.gather(
        *(upsert(days, {"_id": "2026-11-30"}, {"$set": {f"posts.s{n}": n}}) for n in range(8))
    )
    [day] = await days.find({}).to_list()
    assert day["posts"] == {f"s{n}": n for n in range(8)}


async def test_a_racing_upsert_refused_by_the_unique_id_is_told_as_a_duplicate_key(
    database: Database,
):
    """Eight replicas claim one key at once: one takes it, the rest are told it is held."""
    claims = database.collection("claims")
    outcomes: list[str] = []

    async def claim() -> None:
        try:
            await claims.find_one_and_update(
                {"_id": "post:s1", "holder": None}, {"$set": {"holder": "me"}}, upsert=True
            )
            outcomes.append("taken")
        except OperationFailure as error:
            outcomes.append("held" if is_duplicate_key(error) else f"error: {error}")

    await asyncio.gather(*(claim() for _ in range(8)))
    assert sorted(outcomes) == ["held"] * 7 + ["taken"]


async def test_each_command_is_timed_by_command_and_collection(database: Database):
    def timed(command: str) -> float:
        value = registry.get_sample_value(
            "pressroom_database_seconds_count", {"command": command, "collection": "timed"}
        )
        return value or 0.0

    inserts, finds = timed("insert"), timed("find")
    timed_collection = database.collection("timed")
    await timed_collection.insert_one({"n": 1})
    await timed_collection.insert_one({"n": 2})
    await timed_collection.find_one({"n": 2})

    assert (timed("insert"), timed("find")) == (inserts + 2, finds + 1)


async def test_a_count_counts_the_documents_that_match(database: Database):
    posts = database.collection("posts")
    await posts.insert_many([{"category": c} for c in ("World", "World", "Science")])
    assert await count_matching(posts, {"category": "World"}) == 2
    assert await count_matching(posts, {"category": "Sports"}) == 0


async def test_a_bounded_find_returns_all_it_asks_for_beyond_a_first_batch(database: Database):
    posts = database.collection("posts")
    await posts.insert_many([{"n": n} for n in range(300)])
    found = await at_most(posts.find({}, {"n": 1}).sort("n", -1), 150).to_list()
    assert [p["n"] for p in found] == list(range(299, 149, -1))  # more than 101


async def test_bounded_finds_and_counts_keep_the_database_connections_they_use(
    database: Database,
):
    """FerretDB closes the PostgreSQL connection of a sorted or limited find whose cursor
    may stay open, and of a `$group`: the next command waits for a new backend."""
    posts = database.collection("posts")
    await posts.insert_many([{"n": n, "category": "World"} for n in range(50)])
    with postgresql_connections_kept():
        for _ in range(10):
            await at_most(posts.find({}).sort("n", 1), 20).to_list()
            await count_matching(posts, {"category": "World"})
