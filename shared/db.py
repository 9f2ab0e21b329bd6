"""MongoDB access, the one place that talks to the driver (PyMongo's async API).

The same code runs on MongoDB (compose, production) and FerretDB v2 on DocumentDB
(development, tests), so it uses only what both support: CRUD, unique, compound, text and
TTL indexes, `find_one_and_update` with upsert. No transactions or change streams
(FerretDB v2 has neither). README's "the local database" lists what differs.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from pymongo import AsyncMongoClient, InsertOne, UpdateOne
from pymongo.asynchronous.collection import AsyncCollection
from pymongo.asynchronous.cursor import AsyncCursor
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import BulkWriteError, DuplicateKeyError, OperationFailure, PyMongoError

from shared.database_time import CommandTimer
from shared.settings import ServiceSettings

Document = dict[str, Any]


def is_duplicate_key(error: PyMongoError) -> bool:
    """A unique index refused the write: MongoDB's E11000 (DuplicateKeyError), or the form
    FerretDB v2 gives it when two upserts of one `_id` race."""
    return isinstance(error, DuplicateKeyError) or (
        isinstance(error, OperationFailure) and _refused_as_duplicate(error.code, str(error))
    )


def is_duplicate_key_error(write_error: dict[str, Any]) -> bool:
    """`is_duplicate_key` for one of a bulk write's `writeErrors`."""
    return _refused_as_duplicate(write_error.get("code"), str(write_error.get("errmsg")))


def _refused_as_duplicate(code: int | None, message: str) -> bool:
    # FerretDB v2 passes PostgreSQL's unique violation on as code 1.
    return code == 11000 or (
        code == 1 and "duplicate key value violates unique constraint" in message
    )


# What FerretDB v2 answers, as an OperationFailure of code 1, while PostgreSQL behind it
# restarts or while it stops itself (a command in flight is "context canceled"); and
# MongoDB's own codes for a server shutting down or stepping down.
SERVER_AWAY_MESSAGES = (
    "context canceled",
    "failed to connect to",
    "terminating connection due to administrator command",
    "the database system is starting up",
    "the database system is shutting down",
    "connection refused",
    "unexpected EOF",
)
SERVER_AWAY_CODES = frozenset({91, 189, 11600, 11602})


def is_server_away(error: PyMongoError) -> bool:
    """The server could not answer (restarting, its storage away), whatever the request:
    an outage to wait out, not a failure of what was asked."""
    if not isinstance(error, OperationFailure):
        return False
    if error.code in SERVER_AWAY_CODES:
        return True
    return error.code == 1 and any(m in str(error) for m in SERVER_AWAY_MESSAGES)


async def upsert(collection: AsyncCollection[Document], where: Document, update: Document) -> None:
    """`update_one` with upsert, as MongoDB does it for an equality on `_id`: when a
    concurrent upsert inserted the document first, the update applies to theirs."""
    try:
        await collection.update_one(where, update, upsert=True)
    except OperationFailure as error:
        if not is_duplicate_key(error):
            raise
        await collection.update_one(where, update, upsert=True)


def at_most(cursor: AsyncCursor[Document], count: int) -> AsyncCursor[Document]:
    """`cursor` limited to `count` documents, all in its first reply and the cursor closed
    (a negative limit, and a batch that size: FerretDB v2 gives a negative limit its
    default first batch, 101 documents, otherwise).

    FerretDB v2 holds a PostgreSQL connection for a find that is sorted or limited
    otherwise, and closes it after: the next command waits for a new backend (about 20 ms,
    and as much CPU in PostgreSQL; 0.4 ms in one batch). Every bounded find asks this way.
    """
    return cursor.limit(-count).batch_size(count)


async def count_matching(collection: AsyncCollection[Document], where: Document) -> int:
    """How many documents match `where`, by the `count` command. `count_documents` is an
    aggregation, and FerretDB v2 answers one ending in `$group` as it answers a sorted
    find (`at_most`): 22 ms of PostgreSQL's CPU against 0.5 ms."""
    reply = await collection.database.command("count", collection.name, query=where)
    return int(reply["n"])


@dataclass(frozen=True)
class EachWritten:
    matched: int  # documents the updates found
    refused: frozenset[int]  # the writes a unique index refused, by their place in the list


async def write_each(
    collection: AsyncCollection[Document], writes: Sequence[InsertOne[Document] | UpdateOne]
) -> EachWritten:
    """`writes` in one unordered bulk write, each standing or falling alone. A write that a
    unique index refused (another replica's insert came first, or an upsert's filter found
    a newer version) is told by its place; any other failure raises."""
    try:
        result = await collection.bulk_write(list(writes), ordered=False)
    except BulkWriteError as error:
        refused = error.details.get("writeErrors", [])
        if not all(map(is_duplicate_key_error, refused)):
            raise
        return EachWritten(error.details.get("nMatched", 0), frozenset(e["index"] for e in refused))
    return EachWritten(result.matched_count, frozenset())


class Database:
    """A connected database. Create once per process; `close()` on shutdown."""

    def __init__(
        self,
        url: str,
        name: str,
        *,
        timeout_ms: int = 5000,
        username: str | None = None,
        password: str | None = None,
    ) -> None:
        credentials: dict[str, Any] = (
            {"username": username, "password": password} if username else {}
        )
        self.client: AsyncMongoClient[Document] = AsyncMongoClient(
            url,
            **credentials,
            serverSelectionTimeoutMS=timeout_ms,
            connectTimeoutMS=timeout_ms,
            tz_aware=True,
            appname="pressroom",
            event_listeners=[CommandTimer()],
        )
        self.db: AsyncDatabase[Document] = self.client[name]

    @classmethod
    def from_settings(cls, settings: ServiceSettings, *, timeout_ms: int = 5000) -> Database:
        password = settings.mongo_password
        return cls(
            settings.mongo_url,
            settings.mongo_database,
            timeout_ms=timeout_ms,
            username=settings.mongo_username,
            password=password.get_secret_value() if password else None,
        )

    def collection(self, name: str) -> AsyncCollection[Document]:
        return self.db[name]

    async def ping(self) -> bool:
        try:
            await self.client.admin.command("ping")
        except Exception:
            return False
        return True

    async def close(self) -> None:
        await self.client.close()
