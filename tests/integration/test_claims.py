"""Claims in the real MongoDB-compatible server: one holder at a time, taken one by one
or, the free ones, many at once."""

from __future__ import annotations

import asyncio

from shared.claims import Claims
from shared.db import Database


async def test_the_free_keys_are_taken_at_once_and_a_held_one_is_left_to_its_holder(
    database: Database,
):
    claims, other = Claims(database), Claims(database)
    await claims.create_indexes()
    async with (
        other.exclusive("post:b"),
        claims.free_ones(["post:a", "post:b", "post:c"]) as taken,
    ):
        assert taken == {"post:a", "post:c"}
        # Held now: another process neither takes them at once nor waits for them here.
        async with other.free_ones(["post:a", "post:c"]) as theirs:
            assert theirs == set()
    # Released on leaving the block: all free again.
    async with other.free_ones(["post:a", "post:b", "post:c"]) as taken:
        assert taken == {"post:a", "post:b", "post:c"}
    assert await database.collection("claims").count_documents({}) == 0


async def test_one_holder_at_a_time_when_batches_and_single_claims_race(database: Database):
    claims = [Claims(database) for _ in range(4)]
    holding: dict[str, int] = {}
    overlaps = []

    async def hold(keys: set[str]) -> None:
        for key in keys:
            holding[key] = holding.get(key, 0) + 1
            if holding[key] > 1:
                overlaps.append(key)
        await asyncio.sleep(0.01)
        for key in keys:
            holding[key] -= 1

    async def in_batches(mine: Claims) -> None:
        for _ in range(5):
            async with mine.free_ones([f"k{n}" for n in range(6)]) as taken:
                await hold(taken)

    async def one_by_one(mine: Claims) -> None:
        for n in range(6):
            async with mine.exclusive(f"k{n}"):
                await hold({f"k{n}"})

    await asyncio.wait_for(
        asyncio.gather(
            in_batches(claims[0]),
            in_batches(claims[1]),
            one_by_one(claims[2]),
            one_by_one(claims[3]),
        ),
        60,
    )
    assert overlaps == []
