"""Slugs: the stable, readable path segment of a post, made once from its first headline."""

from __future__ import annotations

import re
import unicodedata

MAX_LENGTH = 80


def slugify(headline: str, story_id: str) -> str:
    """`storm-closes-oresund-bridge-5f3a9c`: the headline's words, then a short id so two
    stories with one headline never share a slug."""
    folded = unicodedata.normalize("NFKD", headline).encode("ascii", "ignore").decode().lower()
    words = re.findall(r"[a-z0-9]+", folded)
    stem = ""
    for word in words:
        if len(stem) + len(word) + 1 > MAX_LENGTH:
            break
        stem = f"{stem}-{word}" if stem else word
    return f"{stem}-{story_id[:6]}" if stem else story_id[:12]
