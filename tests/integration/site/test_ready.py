"""The running site's /ready while its database is away: it says what it still serves,
and serves it. The database goes away by closing a TCP relay the site reaches it through."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator

import httpx2

from shared.db import Database
from tests.infra import MONGO, address_of
from tests.processes import free_port, running_service


class Relay:
    """127.0.0.1:`port` → the database, until `cut()`."""

    def __init__(self) -> None:
        self.port = free_port()
        self.connections: list[asyncio.StreamWriter] = []
        self.server: asyncio.Server | None = None

    async def start(self) -> None:
        self.server = await asyncio.start_server(self._relay, "127.0.0.1", self.port)

    async def _relay(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        host, port = address_of(MONGO)
        upstream_reader, upstream_writer = await asyncio.open_connection(host, port)
        self.connections += [writer, upstream_writer]

        async def pipe(source: asyncio.StreamReader, sink: asyncio.StreamWriter) -> None:
            with contextlib.suppress(ConnectionError):
                while data := await source.read(65536):
                    sink.write(data)
                    await sink.drain()
            sink.close()

        await asyncio.gather(pipe(reader, upstream_writer), pipe(upstream_reader, writer))

    async def cut(self) -> None:
        assert self.server is not None
        self.server.close()
        for connection in self.connections:
            connection.close()
        await self.server.wait_closed()


@contextlib.asynccontextmanager
async def relayed() -> AsyncIterator[Relay]:
    relay = Relay()
    await relay.start()
    try:
        yield relay
    finally:
        with contextlib.suppress(Exception):
            await relay.cut()


async def test_with_its_database_away_the_site_says_and_serves_what_it_has_cached(
    database: Database,
):
    async with (
        relayed() as relay,
        running_service(
            "site", database.db.name, mongo_url=f"mongodb://127.0.0.1:{relay.port}"
        ) as site,
        httpx2.AsyncClient(base_url=site.url, timeout=30) as client,
    ):
        home = await client.get("/")
        assert home.status_code == 200
        assert (await client.get("/ready")).json() == {"status": "ready"}

        await relay.cut()
        ready = await client.get("/ready")
        assert ready.status_code == 200
        assert ready.json()["status"] == "degraded"
        assert ready.json()["failing"] == ["mongodb"]
        assert ready.json()["serving"].startswith("cached pages only")
        assert (await client.get("/")).text == home.text
        unavailable = await client.get("/category/science")
        assert unavailable.status_code == 503
        assert "cannot reach its database" in unavailable.text
