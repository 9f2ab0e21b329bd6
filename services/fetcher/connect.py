"""The fetcher's only way onto the network: every connection resolves its host once,
checks every address it got (`addresses.permitted_addresses`) and connects to a checked
address. The URL is unchanged, so the Host header and the TLS server name are the host's.

A guard that resolved a name and then let the HTTP client resolve it again could be
passed by a name that answers a public address first and an internal one next (DNS
rebinding); here there is no second answer to take.
"""

from __future__ import annotations

from collections.abc import Iterable

import httpcore2
import httpx2

from services.fetcher.addresses import (
    BlockedAddress,
    Resolver,
    permitted_addresses,
    system_resolver,
)


class GuardedNetwork(httpcore2.AsyncNetworkBackend):
    """TCP connections to checked addresses only. `local_hosts` are the hosts of local
    sources, which may be on loopback or private addresses."""

    def __init__(
        self,
        *,
        local_hosts: set[str],
        resolver: Resolver = system_resolver,
        network: httpcore2.AsyncNetworkBackend | None = None,
    ) -> None:
        self.local_hosts = local_hosts
        self.resolver = resolver
        self.network = network or httpcore2.AnyIOBackend()

    async def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,  # noqa: ASYNC109 (httpcore2's signature)
        local_address: str | None = None,
        socket_options: Iterable[httpcore2.SOCKET_OPTION] | None = None,
    ) -> httpcore2.AsyncNetworkStream:
        host = host.rstrip(".").lower()
        addresses = await permitted_addresses(
            host, port, local=host in self.local_hosts, resolver=self.resolver
        )
        failure: Exception = httpcore2.ConnectError(f"{host}: no address to connect to")
        for address in addresses:  # in the resolver's order, as a client would try them
            try:
                return await self.network.connect_tcp(
                    str(address), port, timeout, local_address, socket_options
                )
            except (httpcore2.ConnectError, httpcore2.ConnectTimeout) as error:
                failure = error
        raise failure

    async def connect_unix_socket(
        self,
        path: str,
        timeout: float | None = None,  # noqa: ASYNC109 (httpcore2's signature)
        socket_options: Iterable[httpcore2.SOCKET_OPTION] | None = None,
    ) -> httpcore2.AsyncNetworkStream:
        raise BlockedAddress("the fetcher connects over TCP only")

    async def sleep(self, seconds: float) -> None:
        await self.network.sleep(seconds)


class GuardedTransport(httpx2.AsyncHTTPTransport):
    """httpx2's own transport, its connection pool on a GuardedNetwork; no proxy and no
    certificate settings from the environment."""

    def __init__(self, network: GuardedNetwork) -> None:
        super().__init__(trust_env=False)
        # httpx2 takes no network backend; its pool, built again with one, is the same pool.
        self._pool = httpcore2.AsyncConnectionPool(
            ssl_context=httpx2.create_ssl_context(trust_env=False),
            max_connections=100,  # httpx2's default limits
            max_keepalive_connections=20,
            keepalive_expiry=5.0,
            network_backend=network,
        )
