"""The database module against the real MongoDB-compatible server."""

from __future__ import annotations

import pytest
from pymongo.errors import DuplicateKeyError

from shared.db import Database


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
