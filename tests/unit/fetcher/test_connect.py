"""The guarded connection: one resolution per connection, every address checked, and the
connection made to a checked address. A real HTTP server on loopback stands for the inside
of the network; the resolver is injected to answer as a rebinding name would."""

import asyncio
from collections.abc import AsyncIterator

import httpcore2
import pytest

from services.fetcher.http import FetchError, PoliteClient

PUBLIC = "93.184.215.14"


class InsideServer:
    """An HTTP server on 127.0.0.1 that answers every request with the Host it was sent."""

    def __init__(self) -> None:
        self.requests: list[str] = []

    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        head = (await reader.readuntil(b"\r\n\r\n")).decode()
        self.requests.append(head.split("\r\n", 1)[0])
        host = next(
            h.split(":", 1)[1].strip() for h in head.split("\r\n") if h.lower().startswith("host:")
        )
        body = f"User-agent: *\nAllow: /\n# host {host}\n".encode()
        writer.write(
            b"HTTP/1.1 200 OK\r\ncontent-type: text/plain\r\nconnection: close\r\n"
            + f"content-length: {len(body)}\r\n\r\n".encode()
            + body
        )
        await writer.drain()
        writer.close()


@pytest.fixture
async def inside() -> AsyncIterator[tuple[InsideServer, int]]:
    server = InsideServer()
    listening = await asyncio.start_server(server.handle, "127.0.0.1", 0)
    async with listening:
        yield server, listening.sockets[0].getsockname()[1]


class Rebinding:
    """A name that answers a public address the first time and loopback after that."""

    def __init__(self) -> None:
        self.asked = 0

    async def __call__(self, host: str, port: int) -> list[str]:
        self.asked += 1
        return [PUBLIC] if self.asked == 1 else ["127.0.0.1"]


class Dialled(httpcore2.AsyncNetworkBackend):
    """The network as far as this test lets it go: loopback is dialled for real, any
    other address is recorded and refused (tests never leave the machine)."""

    def __init__(self) -> None:
        self.addresses: list[str] = []
        self.real = httpcore2.AnyIOBackend()

    async def connect_tcp(
        self, host: str, port: int, *args: object
    ) -> httpcore2.AsyncNetworkStream:
        self.addresses.append(host)
        if host != "127.0.0.1":
            raise httpcore2.ConnectError(f"{host} is not dialled in tests")
        return await self.real.connect_tcp(host, port, *args)  # type: ignore[arg-type]


def client(resolver: object, dialled: Dialled, local_hosts: set[str] | None = None) -> PoliteClient:
    polite = PoliteClient(
        user_agent="Pressroom/test",
        timeout_seconds=2,
        max_body_bytes=10_000,
        max_redirects=2,
        per_host_concurrency=1,
        host_delay_seconds=0,
        local_hosts=local_hosts,
        resolver=resolver,  # type: ignore[arg-type]
    )
    guarded = polite.client._transport.inner  # type: ignore[attr-defined]
    guarded._pool._network_backend.network = dialled
    return polite


async def test_a_rebinding_name_is_connected_to_the_address_that_was_checked(inside):
    server, port = inside
    resolver, dialled = Rebinding(), Dialled()
    with pytest.raises(FetchError):
        await client(resolver, dialled).get(f"http://news.example:{port}/feed")
    assert dialled.addresses
    assert set(dialled.addresses) == {PUBLIC}
    assert server.requests == []  # the inside was never reached


async def test_a_name_that_resolves_inside_is_refused_before_any_connection(inside):
    server, port = inside

    async def loopback(host: str, port: int) -> list[str]:
        return ["127.0.0.1"]

    dialled = Dialled()
    with pytest.raises(FetchError, match=r"refused.*loopback"):
        await client(loopback, dialled).get(f"http://news.example:{port}/feed")
    assert dialled.addresses == []
    assert server.requests == []


async def test_a_local_sources_host_is_reached_on_loopback_with_its_own_host_header(inside):
    server, port = inside

    async def loopback(host: str, port: int) -> list[str]:
        return ["127.0.0.1"]

    dialled = Dialled()
    polite = client(loopback, dialled)
    polite.allow_local("http://feeds.example/feed")
    result = await polite.get(f"http://feeds.example:{port}/feed")
    assert result.status == 200
    assert f"# host feeds.example:{port}" in result.body.decode()
    assert server.requests == ["GET /robots.txt HTTP/1.1", "GET /feed HTTP/1.1"]
    with pytest.raises(FetchError, match=r"refused.*loopback"):  # another name: not local
        await polite.get(f"http://other.example:{port}/feed")
