"""The journal's batch write on the real MongoDB-compatible server."""

from __future__ import annotations

from services.deduplicator.journal import Journal
from services.deduplicator.settings import DeduplicatorSettings
from services.deduplicator.state import Assignment, DedupState
from shared.db import Database
from tests.unit.deduplicator.daily_news import daily_news


def assignments(count: int) -> list[Assignment]:
    state, decided = DedupState(DeduplicatorSettings()), []
    for _, news in daily_news(range(1)):
        decision = state.decide(news)
        if isinstance(decision, Assignment):
            state.apply(decision)
            decided.append(decision)
    return decided[:count]


async def test_a_batch_write_stops_at_a_position_another_replica_holds(database: Database):
    ours, theirs = Journal(database), Journal(database)
    first, second, third, fourth = assignments(4)
    assert await theirs.append_all(2, [fourth]) == 1

    assert await ours.append_all(0, [first, second, third, fourth]) == 2
    stored = [a.article_id async for a in ours.read_from(0)]
    assert stored == [first.article_id, second.article_id, fourth.article_id]


async def test_a_batch_write_stores_every_entry_in_order(database: Database):
    journal, entries = Journal(database), assignments(3)
    assert await journal.append_all(5, entries) == 3
    assert await journal.append_all(8, []) == 0

    stored = [a.article_id async for a in journal.read_from(5)]
    assert stored == [a.article_id for a in entries]
