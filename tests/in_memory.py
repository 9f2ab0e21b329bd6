"""A service's handlers over TestKafkaBroker (Kafka in memory) and the real database."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import cast

from faststream.asgi import AsgiFastStream
from faststream.kafka import KafkaBroker, TestKafkaBroker

from shared.db import Database
from tests.infra import MONGO


@asynccontextmanager
async def in_memory(
    app: AsgiFastStream, database: str, *, background: bool = False
) -> AsyncIterator[KafkaBroker]:
    """`app`'s broker in memory with its start-up hooks run (its background loops too, if
    asked); its shutdown hooks run and `database` dropped afterwards. Subscribe test readers
    to `app.broker` before entering."""
    try:
        async with TestKafkaBroker(cast(KafkaBroker, app.broker)) as broker:
            for hook in app._on_startup_calling:
                await hook()
            if background:
                for hook in app._after_startup_calling:
                    await hook()
            try:
                yield broker
            finally:
                for hook in [*app._on_shutdown_calling, *app._after_shutdown_calling]:
                    await hook()
    finally:
        dropping = Database(MONGO, database)
        await dropping.client.drop_database(database)
        await dropping.close()
