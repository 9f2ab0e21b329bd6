"""`pressroom audit`: every article the fetcher published, accounted for.

The articles are those on `articles.raw` that this database's fetcher recorded as emitted.
Each one is:

- **published**: in a story (the deduplicator's journal) whose post on the site is at a
  version that holds it (a post left at an older version does not show it), or in a
  withdrawn story whose articles went, merge after merge, to such a one;
- **a duplicate**: dropped as an exact copy (same URL or same text) of one that is
  published;
- **dead-lettered**: its event, or its story's, is in a `.dlq` with a reason;
- or **unaccounted**, with the last place it was seen.

Run it when the pipeline is quiet: an article still on its way counts as unaccounted.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from pydantic import ValidationError

from services.deduplicator.deduplicator import Deduplicator
from services.deduplicator.journal import Journal
from services.deduplicator.settings import DeduplicatorSettings
from services.deduplicator.text import content_fingerprint
from services.ops.dead_letters import letters
from services.ops.reading import read_all
from shared.db import Database
from shared.events import ArticleFetched
from shared.kafka_connection import KafkaConnection
from shared.topics import ARTICLES_RAW, STORIES_SUMMARIZED, STORIES_UPDATED

MOST_MERGES = 20
ALL_HISTORY_HOURS = 24 * 365 * 1000  # the audit's state forgets no story


@dataclass(frozen=True)
class Unaccounted:
    article_id: str
    canonical_url: str
    last_seen: str  # where it was last seen, and what became of it there


@dataclass
class AuditReport:
    articles: int = 0
    outcomes: Counter[str] = field(default_factory=Counter)
    unaccounted: list[Unaccounted] = field(default_factory=list)

    @property
    def clean(self) -> bool:
        return not self.unaccounted


async def audit(kafka: KafkaConnection, database: Database) -> AuditReport:
    emitted = {
        d["_id"]
        async for d in database.collection("fetcher_seen").find({"outcome": "emitted"}, {"_id": 1})
    }
    published: dict[str, ArticleFetched] = {}
    async for record in read_all(kafka, ARTICLES_RAW):
        key = (record.key or b"").decode("utf-8", "replace")
        if key in emitted and key not in published:
            try:
                published[key] = ArticleFetched.model_validate_json(record.value or b"")
            except ValidationError:
                continue  # its dead letter accounts for it
    dead = {
        (item.letter.topic, item.letter.key): item.letter.error
        for topic in (ARTICLES_RAW, STORIES_UPDATED, STORIES_SUMMARIZED)
        async for item in letters(kafka, topic)
    }
    # The whole journal, from its first entry: no snapshot, nothing forgotten.
    settings = DeduplicatorSettings(retention_hours=ALL_HISTORY_HOURS)
    deduplicator = Deduplicator(Journal(database), settings)
    await deduplicator.catch_up()
    state = deduplicator.state
    posts = {
        d["_id"]: d["version"]
        async for d in database.collection("posts").find({}, {"_id": 1, "version": 1})
    }

    def live_story(story_id: str) -> str:
        """The story that holds what `story_id` held, following merges."""
        for _ in range(MOST_MERGES):
            story = state.stories.get(story_id)
            if story is None or story.merged_into is None:
                break
            story_id = story.merged_into
        return story_id

    def whereabouts(article_id: str) -> tuple[str, str]:
        """(outcome, where) of one article in the journal, or why it is not."""
        if (ARTICLES_RAW, article_id) in dead:
            return "dead_lettered", f"articles.raw.dlq: {dead[(ARTICLES_RAW, article_id)]}"
        seen = state.articles.get(article_id)
        if seen is None:
            return "unaccounted", "on articles.raw; not in the deduplicator's journal"
        story_id = live_story(seen.story_id)
        # An article moved by a merge is held from the version that moved it.
        since = seen.since_version if story_id == seen.story_id else state.stories[story_id].version
        shown = posts.get(story_id)
        if shown is not None and shown >= since:
            return "published", story_id
        for topic in (STORIES_UPDATED, STORIES_SUMMARIZED):
            if (topic, story_id) in dead:
                return "dead_lettered", f"{topic}.dlq: {dead[(topic, story_id)]}"
        if shown is None:
            return "unaccounted", f"in story {story_id} (journal); no post for it"
        return "unaccounted", (
            f"in story {story_id} since its version {since} (journal); "
            f"its post shows version {shown}"
        )

    report = AuditReport(articles=len(published))
    for article_id, article in published.items():
        outcome, where = whereabouts(article_id)
        if outcome == "unaccounted" and article_id not in state.articles:
            # Dropped as an exact duplicate: accounted as its original is.
            fingerprint = content_fingerprint(article.title, article.text)
            if (original := state.fingerprints.get(fingerprint)) is not None:
                outcome, where = whereabouts(original)
                if outcome != "unaccounted":
                    outcome = "duplicate"
                else:
                    where = f"an exact duplicate of {original}, which is {where}"
        report.outcomes[outcome] += 1
        if outcome == "unaccounted":
            report.unaccounted.append(Unaccounted(article_id, str(article.canonical_url), where))
    return report
