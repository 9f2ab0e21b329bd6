"""Exclusive claims in MongoDB: held by one process at a time, for work that must not
interleave across replicas (assigning a story, replacing a post).

Taking a claim is an upsert of its key filtered on an expired lease: a free or expired
claim is taken, a held one makes the upsert's insert fail on the unique `_id` (atomic on
MongoDB and FerretDB v2 alike). The claim is deleted on release; a crashed holder's lease
expires, and a TTL index removes its document soon after.
"""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from collections.abc import AsyncIterator, Iterable
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta

from pymongo import InsertOne
from pymongo.errors import OperationFailure

from shared.db import Database, is_duplicate_key, write_each
from shared.retry import Backoff

CLAIM_BACKOFF = Backoff(first_seconds=0.005, max_seconds=0.2)  # claims are held briefly


class Claims:
    def __init__(self, database: Database, collection: str = "claims") -> None:
        self.claims = database.collection(collection)
        self.process = uuid.uuid4().hex[:12]

    async def create_indexes(self) -> None:
        # Expired leases of crashed holders are deleted by the server (within a minute or
        # so); a lease counts as expired from `expires_at` on whether or not it is deleted.
        await self.claims.create_index("expires_at", expireAfterSeconds=0)

    @asynccontextmanager
    async def free_ones(
        self, keys: Iterable[str], lease: timedelta = timedelta(seconds=15)
    ) -> AsyncIterator[set[str]]:
        """Hold, for the block, those of `keys` that no one holds, taken in one command; the
        others (held, or left by a crashed holder until its lease runs out) are for
        `exclusive`, one at a time, after the block. Nothing is waited for while some are
        held: two holders each waiting for the other's keys would wait for ever."""
        holder = f"{self.process}:{uuid.uuid4().hex[:8]}"
        expires_at = datetime.now(UTC) + lease
        keys = list(keys)
        taken = set(keys)
        if keys:
            try:
                claims = [
                    InsertOne({"_id": key, "holder": holder, "expires_at": expires_at})
                    for key in keys
                ]
                taken -= {keys[index] for index in (await write_each(self.claims, claims)).refused}
            except Exception:
                # Some may be taken: let them go now (or their leases run out).
                with contextlib.suppress(Exception):
                    await self.claims.delete_many({"_id": {"$in": keys}, "holder": holder})
                raise
        try:
            yield taken
        finally:
            if taken:
                await self.claims.delete_many({"_id": {"$in": list(taken)}, "holder": holder})

    @asynccontextmanager
    async def exclusive(
        self, key: str, lease: timedelta = timedelta(seconds=15)
    ) -> AsyncIterator[None]:
        """Hold `key` for the block; wait (with capped backoff) while another holds it, in
        this process or another."""
        holder = f"{self.process}:{uuid.uuid4().hex[:8]}"
        tries = 0
        while True:
            now = datetime.now(UTC)
            try:
                await self.claims.find_one_and_update(
                    {"_id": key, "expires_at": {"$lt": now}},
                    {"$set": {"holder": holder, "expires_at": now + lease}},
                    upsert=True,
                )
                break
            except OperationFailure as error:
                if not is_duplicate_key(error):
                    raise
                tries += 1
                await asyncio.sleep(CLAIM_BACKOFF.seconds(tries))
        try:
            yield
        finally:
            await self.claims.delete_one({"_id": key, "holder": holder})
