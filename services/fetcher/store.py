"""The fetcher's state in MongoDB: each source's configuration and fetch state, and every
canonical URL already handled, so a restart or a re-poll emits nothing twice."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from pymongo import UpdateOne

from services.fetcher.sources import SourceConfig
from shared.db import Database, at_most, upsert, write_each

IN_FLIGHT = timedelta(minutes=15)  # an announced poll not finished by then is due again
# A claim not yet announced: a scheduler killed between the two leaves its source due again
# this soon (seen in the fault test: a fetcher killed as it announced its first tick).
ANNOUNCING = timedelta(seconds=30)
CLAIMED_AT_ONCE = 500  # sources a scheduler claims and announces together


@dataclass(frozen=True)
class SourceState:
    config: SourceConfig
    etag: str | None = None
    last_modified: str | None = None
    failures: int = 0
    quarantined_until: datetime | None = None
    last_success_at: datetime | None = None
    last_error: str | None = None
    next_poll_at: datetime | None = None
    emitted: int = 0
    claim: str | None = None  # the token of the scheduler's latest claim

    @classmethod
    def from_document(cls, document: dict[str, Any]) -> SourceState:
        state = document.get("state", {})
        return cls(config=SourceConfig.model_validate(document["config"]), **state)

    def quarantined(self, now: datetime) -> bool:
        return self.quarantined_until is not None and self.quarantined_until > now


class SourceStore:
    def __init__(self, database: Database) -> None:
        self.sources = database.collection("sources")

    async def create_indexes(self) -> None:
        await self.sources.create_index("state.next_poll_at")

    async def sync(self, configs: Iterable[SourceConfig], now: datetime | None = None) -> None:
        """Make the stored sources those configured: new ones due now, state kept."""
        now = now or datetime.now(UTC)
        configs = list(configs)
        for config in configs:
            await upsert(
                self.sources,
                {"_id": config.id},
                {
                    "$set": {"config": config.model_dump()},
                    "$setOnInsert": {"state": {"next_poll_at": now}},
                },
            )
        await self.sources.delete_many({"_id": {"$nin": [c.id for c in configs]}})

    async def all(self) -> list[SourceState]:
        return [SourceState.from_document(d) async for d in self.sources.find().sort("_id", 1)]

    async def get(self, source_id: str) -> SourceState | None:
        document = await self.sources.find_one({"_id": source_id})
        return SourceState.from_document(document) if document else None

    async def claim_due(
        self, claim: str, now: datetime | None = None, most: int = CLAIMED_AT_ONCE
    ) -> list[str]:
        """The ids of up to `most` sources due to be polled, longest due first, now held
        under `claim` (a token of the caller's: should the reply be lost, `release_claim`
        finds them) for ANNOUNCING, until `announced` holds them for IN_FLIGHT. Three
        commands for all of them; a source another replica claimed in between is not
        among them (the update takes only those still due)."""
        now = now or datetime.now(UTC)
        due = self.sources.find({"state.next_poll_at": {"$lte": now}}, {"_id": 1})
        ids = [d["_id"] async for d in at_most(due.sort("state.next_poll_at", 1), most)]
        if not ids:
            return []
        await self.sources.update_many(
            {"_id": {"$in": ids}, "state.next_poll_at": {"$lte": now}},
            {"$set": {"state.next_poll_at": now + ANNOUNCING, "state.claim": claim}},
        )
        ours = self.sources.find({"_id": {"$in": ids}, "state.claim": claim}, {"_id": 1})
        taken = {d["_id"] async for d in ours}
        return [i for i in ids if i in taken]

    async def announced(
        self, source_ids: Sequence[str], claim: str, now: datetime | None = None
    ) -> None:
        """The polls claimed under `claim` are on sources.due: in flight for IN_FLIGHT,
        unless they have finished already (an outcome clears the claim)."""
        if not source_ids:
            return
        await self.sources.update_many(
            {"_id": {"$in": list(source_ids)}, "state.claim": claim},
            {"$set": {"state.next_poll_at": (now or datetime.now(UTC)) + IN_FLIGHT}},
        )

    async def release_claim(self, claim: str, now: datetime | None = None) -> None:
        """A claim whose reply was lost (the database restarting as it answered): whichever
        sources it took, if any, are due again at once."""
        await self.sources.update_many(
            {"state.claim": claim}, {"$set": {"state.next_poll_at": now or datetime.now(UTC)}}
        )

    async def release(self, source_ids: Sequence[str], now: datetime | None = None) -> None:
        """Claimed polls that were never announced: due again at once, not after
        IN_FLIGHT."""
        await self.sources.update_many(
            {"_id": {"$in": list(source_ids)}},
            {"$set": {"state.next_poll_at": now or datetime.now(UTC)}},
        )

    async def record_success(
        self,
        source_id: str,
        *,
        next_poll_at: datetime,
        etag: str | None,
        last_modified: str | None,
        emitted: int,
        now: datetime,
    ) -> None:
        await self.sources.update_one(
            {"_id": source_id},
            {
                "$set": {
                    "state.etag": etag,
                    "state.last_modified": last_modified,
                    "state.next_poll_at": next_poll_at,
                    "state.failures": 0,
                    "state.quarantined_until": None,
                    "state.last_success_at": now,
                    "state.last_error": None,
                    "state.claim": None,  # polled: no later `announced` holds it again
                },
                "$inc": {"state.emitted": emitted},
            },
        )

    async def record_failure(
        self,
        source_id: str,
        *,
        error: str,
        failures: int,
        next_poll_at: datetime,
        quarantined_until: datetime | None,
    ) -> None:
        await self.sources.update_one(
            {"_id": source_id},
            {
                "$set": {
                    "state.failures": failures,
                    "state.last_error": error[:1000],
                    "state.next_poll_at": next_poll_at,
                    "state.quarantined_until": quarantined_until,
                    "state.claim": None,
                }
            },
        )


@dataclass(frozen=True)
class Handled:
    """An entry handled: what became of its canonical URL (emitted, or why not)."""

    article_id: str
    canonical_url: str
    source_id: str
    outcome: str


class SeenUrls:
    """Canonical URLs handled once: emitted, or refused with a reason."""

    def __init__(self, database: Database) -> None:
        self.seen = database.collection("fetcher_seen")

    async def seen_among(self, article_ids: Iterable[str]) -> set[str]:
        """The ids already handled."""
        ids = sorted(set(article_ids))
        return {d["_id"] async for d in self.seen.find({"_id": {"$in": ids}}, {"_id": 1})}

    async def remember(self, handled: Sequence[Handled]) -> None:
        """Record `handled` in one command (a poll's entries: 2,000 in a backfill's). The
        first record of an id stands."""
        if not handled:
            return
        now = datetime.now(UTC)
        writes = [
            UpdateOne({"_id": h.article_id}, {"$setOnInsert": _seen(h, now)}, upsert=True)
            for h in handled
        ]
        # A write refused: another replica's upsert of the same id came first, and its
        # record stands, as the first one does.
        await write_each(self.seen, writes)


def _seen(handled: Handled, at: datetime) -> dict[str, Any]:
    return {
        "canonical_url": handled.canonical_url,
        "source_id": handled.source_id,
        "outcome": handled.outcome,
        "at": at,
    }
