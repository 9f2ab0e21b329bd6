"""MongoDB access, the one place that talks to the driver (PyMongo's async API).

The same code runs on MongoDB (compose, production) and FerretDB (development, tests), so
it uses only what both support: CRUD, unique and compound indexes, `find_one_and_update`
with upsert, `$inc`, `$regex`. No `$text`, TTL indexes, `$lookup`, transactions or
change streams.
"""

from __future__ import annotations

from typing import Any

from pymongo import AsyncMongoClient
from pymongo.asynchronous.collection import AsyncCollection
from pymongo.asynchronous.database import AsyncDatabase

from shared.settings import ServiceSettings

Document = dict[str, Any]


class Database:
    """A connected database. Create once per process; `close()` on shutdown."""

    def __init__(self, url: str, name: str, *, timeout_ms: int = 5000) -> None:
        self.client: AsyncMongoClient[Document] = AsyncMongoClient(
            url,
            serverSelectionTimeoutMS=timeout_ms,
            connectTimeoutMS=timeout_ms,
            tz_aware=True,
            appname="pressroom",
        )
        self.db: AsyncDatabase[Document] = self.client[name]

    @classmethod
    def from_settings(cls, settings: ServiceSettings) -> Database:
        return cls(settings.mongo_url, settings.mongo_database)

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
