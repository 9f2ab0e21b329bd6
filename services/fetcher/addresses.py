"""Where the fetcher may connect: never to private, loopback, link-local or cloud metadata
addresses, unless the host is a local source's own (tests, demos, a feed on the same host).

A host is resolved once, every address it resolves to is checked, and the connection goes
to a checked address (`services/fetcher/connect.py`): a name that answers a public address
to the check and an internal one to the connection cannot get past. Even a local source's
host never reaches link-local or metadata addresses.
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from collections.abc import Awaitable, Callable, Collection
from urllib.parse import urlsplit

METADATA_HOSTS = frozenset({"metadata.google.internal", "metadata", "instance-data"})

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
Resolver = Callable[[str, int], Awaitable[list[str]]]
"""A host and port to the addresses the host resolves to."""


class BlockedAddress(ValueError):
    """The URL leads somewhere the fetcher must not go."""


async def system_resolver(host: str, port: int) -> list[str]:
    try:
        infos = await asyncio.get_running_loop().getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except OSError as error:
        raise BlockedAddress(f"{host} does not resolve ({error})") from None
    return [str(info[4][0]) for info in infos]


def refusal(address: IPAddress, local: bool) -> str | None:
    """Why the fetcher must not connect to `address`, or None when it may."""
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped:
        address = address.ipv4_mapped
    if address.is_link_local:
        return "a link-local or cloud metadata address"
    if address.is_multicast or address.is_unspecified or address.is_reserved:
        return "a reserved address"
    if local:
        return None
    if address.is_loopback:
        return "a loopback address"
    if address.is_private or not address.is_global:
        return "a private address"
    return None


def host_of(url: str) -> str:
    """The URL's host as the guard compares it: lower case, no trailing dot."""
    return (urlsplit(url).hostname or "").rstrip(".").lower()


def literal_address(host: str) -> IPAddress | None:
    try:
        return ipaddress.ip_address(host)
    except ValueError:
        return None


def check_url(url: str, *, local_hosts: Collection[str] = ()) -> None:
    """Raise BlockedAddress when the URL alone shows it must not be fetched: not http(s),
    no host, a metadata host, or an address that is refused. Names are checked when they
    are connected to."""
    if urlsplit(url).scheme not in ("http", "https"):
        raise BlockedAddress(f"{url!r}: only http and https are fetched")
    host = host_of(url)
    if not host:
        raise BlockedAddress(f"{url!r}: no host")
    if host in METADATA_HOSTS:
        raise BlockedAddress(f"{url!r}: a cloud metadata host")
    if (address := literal_address(host)) and (reason := refusal(address, host in local_hosts)):
        raise BlockedAddress(f"{url!r}: {host} is {reason}")


async def permitted_addresses(
    host: str, port: int, *, local: bool, resolver: Resolver = system_resolver
) -> list[IPAddress]:
    """The addresses `host` resolves to, once; BlockedAddress if any of them is refused
    (a name with one internal address among public ones is refused whole)."""
    host = host.rstrip(".").lower()
    if host in METADATA_HOSTS:
        raise BlockedAddress(f"{host} is a cloud metadata host")
    if (address := literal_address(host)) is not None:
        addresses = [address]
    else:
        addresses = list(dict.fromkeys(map(ipaddress.ip_address, await resolver(host, port))))
    if not addresses:
        raise BlockedAddress(f"{host} resolves to no address")
    for address in addresses:
        if reason := refusal(address, local):
            raise BlockedAddress(f"{host} is {reason} ({address})")
    return addresses


async def check_destination(
    url: str, *, local_hosts: Collection[str] = (), resolver: Resolver = system_resolver
) -> None:
    """Raise BlockedAddress unless `url` and every address its host resolves to may be
    reached."""
    check_url(url, local_hosts=local_hosts)
    host, port = host_of(url), urlsplit(url).port or 443
    try:
        await permitted_addresses(host, port, local=host in local_hosts, resolver=resolver)
    except BlockedAddress as error:
        raise BlockedAddress(f"{url!r}: {error}") from None
