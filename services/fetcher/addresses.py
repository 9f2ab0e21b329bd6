"""Where the fetcher may connect: never to private, loopback, link-local or cloud metadata
addresses, unless the source is explicitly local (tests, demos, a feed on the same host).

A URL's host is resolved first and every address it resolves to is checked, so a public
name pointing at an internal address is refused too. Even a local source never reaches
link-local or metadata addresses.
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from urllib.parse import urlsplit

METADATA_HOSTS = frozenset({"metadata.google.internal", "metadata", "instance-data"})


class BlockedAddress(ValueError):
    """The URL leads somewhere the fetcher must not go."""


def refusal(address: ipaddress.IPv4Address | ipaddress.IPv6Address, local: bool) -> str | None:
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


async def check_destination(url: str, *, local: bool = False) -> None:
    """Raise BlockedAddress unless every address `url`'s host resolves to may be reached."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https"):
        raise BlockedAddress(f"{url!r}: only http and https are fetched")
    host = (parts.hostname or "").rstrip(".").lower()
    if not host:
        raise BlockedAddress(f"{url!r}: no host")
    if host in METADATA_HOSTS:
        raise BlockedAddress(f"{url!r}: a cloud metadata host")
    try:
        addresses = {ipaddress.ip_address(host)}
    except ValueError:
        try:
            infos = await asyncio.get_running_loop().getaddrinfo(
                host, parts.port or 443, type=socket.SOCK_STREAM
            )
        except OSError as error:
            raise BlockedAddress(f"{url!r}: {host} does not resolve ({error})") from None
        addresses = {ipaddress.ip_address(info[4][0]) for info in infos}
    for address in addresses:
        if reason := refusal(address, local):
            raise BlockedAddress(f"{url!r}: {host} is {reason} ({address})")
