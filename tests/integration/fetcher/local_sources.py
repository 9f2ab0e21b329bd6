"""A sources file of feeds served on loopback, for the fetcher run as its own process."""

from __future__ import annotations

from collections.abc import Iterable


def local_sources_yaml(sources: Iterable[tuple[str, str, str]], poll_seconds: int = 5) -> str:
    """YAML of `sources`, each (id, name, url), marked `local` (loopback is allowed)."""
    lines = ["sources:"]
    for source_id, name, url in sources:
        lines += [
            f"- id: {source_id}",
            f"  name: {name!r}",
            f"  url: {url}",
            f"  poll_seconds: {poll_seconds}",
            "  local: true",
        ]
    return "\n".join(lines) + "\n"
