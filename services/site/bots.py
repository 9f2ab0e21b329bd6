"""Telling crawlers from readers, so that views count people."""

from __future__ import annotations

import re

# Matched against the lowercased User-Agent: an IGNORECASE search costs ~15 times as much,
# and it runs for every story page served.
_BOT = re.compile(
    r"bot|crawl|spider|slurp|preview|fetch|monitor|curl|wget|python-|httpx|go-http|java/|"
    r"headless|lighthouse|facebookexternalhit|whatsapp|embedly|feed"
)


def is_bot(user_agent: str | None) -> bool:
    return not user_agent or bool(_BOT.search(user_agent.lower()))
