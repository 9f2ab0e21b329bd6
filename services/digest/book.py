"""The daily digest: every post published on a day and still on the site, by category, in
MongoDB `digests`."""

from __future__ import annotations

from collections import defaultdict
from datetime import date
from typing import Any

from shared.db import Database, upsert
from shared.events import PostPublished


class DigestBook:
    def __init__(self, database: Database) -> None:
        self.digests = database.collection("digests")

    async def add(self, post: PostPublished) -> None:
        """Record the post under the day it first appeared; a newer version replaces an older
        one, a withdrawal takes it out of the day, and a redelivered or older event changes
        nothing."""
        day = post.first_published_at.date().isoformat()
        entry = {
            "slug": post.slug,
            "headline": post.headline,
            "category": post.category,
            "version": post.version,
            "withdrawn": post.change == "withdrawn",
        }
        current = await self.digests.find_one({"_id": day}, {f"posts.{post.story_id}": 1})
        known = ((current or {}).get("posts") or {}).get(post.story_id)
        if known is not None and known["version"] >= post.version:
            return
        await upsert(self.digests, {"_id": day}, {"$set": {f"posts.{post.story_id}": entry}})

    async def day(self, day: date) -> dict[str, list[dict[str, Any]]]:
        """The day's posts by category, headlines in alphabetical order."""
        document = await self.digests.find_one({"_id": day.isoformat()}) or {}
        by_category: defaultdict[str, list[dict[str, Any]]] = defaultdict(list)
        for entry in (document.get("posts") or {}).values():
            if not entry.get("withdrawn"):
                by_category[entry["category"]].append(entry)
        return {c: sorted(p, key=lambda e: e["headline"]) for c, p in sorted(by_category.items())}


def render_digest(day: date, posts: dict[str, list[dict[str, Any]]], site_url: str) -> str:
    """The digest as plain text, for an e-mail or a chat message."""
    count = sum(len(p) for p in posts.values())
    lines = [f"Pressroom digest for {day.isoformat()}: {count} stories", ""]
    for category, entries in posts.items():
        lines.append(f"{category}")
        lines += [f"  - {e['headline']} <{site_url}/story/{e['slug']}>" for e in entries]
        lines.append("")
    return "\n".join(lines).rstrip() + "\n"
