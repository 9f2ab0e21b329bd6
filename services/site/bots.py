"""Telling crawlers from readers, so that views count people."""

from __future__ import annotations

import re

_BOT = re.compile(
    r"bot|crawl|spider|slurp|preview|fetch|monitor|curl|wget|python-|httpx|go-http|java/|"
    r"headless|lighthouse|facebookexternalhit|whatsapp|embedly|feed",
    re.IGNORECASE,
)


def is_bot(user_agent: str | None) -> bool:
    return not user_agent or bool(_BOT.search(user_agent))
