"""The deduplicator over its journal on the real MongoDB-compatible server: replicas that
agree through it, and a restart that rebuilds everything from it, or from its newest
snapshot and what follows."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

from services.deduplicator.deduplicator import Deduplicator
from services.deduplicator.journal import Journal
from services.deduplicator.settings import DeduplicatorSettings
from services.deduplicator.snapshot import Snapshots, snapshot_documents
from services.deduplicator.state import Assignment, DedupState
from shared.db import Database
from shared.events import StoryUpdated
from tests.unit.deduplicator.articles import ORIGINAL, OTHER_OUTLET, SYNDICATED, UNRELATED, article
from tests.unit.deduplicator.daily_news import daily_news


def deduplicator(database: Database) -> Deduplicator:
    return Deduplicator(Journal(database), DeduplicatorSettings())


async def test_two_replicas_given_one_event_at_once_make_one_story(database: Database):
    one, two = deduplicator(database), deduplicator(database)
    await one.process(UNRELATED)
    a, b = await asyncio.gather(one.process(ORIGINAL), two.process(OTHER_OUTLET))

    assert {a.decision, b.decision} == {"new", "joined"}
    assert a.story is not None
    assert b.story is not None
    assert a.story.story_id == b.story.story_id
    await one.catch_up()
    assert one.state.position == two.state.position == 3


async def test_an_entry_another_replica_stored_first_is_not_overwritten(database: Database):
    one, two = deduplicator(database), deduplicator(database)
    await one.process(UNRELATED)
    await two.catch_up()
    stale = two.state.decide(OTHER_OUTLET)  # decided before one records ORIGINAL
    assert isinstance(stale, Assignment)
    await one.process(ORIGINAL)

    assert not await two.journal.append(two.state.position, stale)
    outcome = await two.process(OTHER_OUTLET)  # learns ORIGINAL's entry, decides again
    assert outcome.decision == "joined"


async def test_a_restarted_deduplicator_rebuilds_its_state_from_the_journal(database: Database):
    before = deduplicator(database)
    await before.process(UNRELATED)
    first = await before.process(ORIGINAL)
    # "1.8" and "u.s" once made the database refuse the article (field names with dots).
    gdp = article(
        "https://a.example/gdp",
        "a",
        "U.S. economy grew 1.8% in the second quarter",
        "The U.S. economy grew at a 1.8% annual rate in the second quarter, the Commerce "
        "Department said on Thursday, slower than the 2.1% economists had expected.",
    )
    await before.process(gdp)

    after = deduplicator(database)
    redelivered = await after.process(ORIGINAL)
    copy = await after.process(SYNDICATED)
    other = await after.process(OTHER_OUTLET)

    assert redelivered.decision == "redelivered"
    assert redelivered.story is not None
    assert first.story is not None
    assert (redelivered.story.story_id, redelivered.story.version) == (first.story.story_id, 1)
    assert (copy.decision, other.decision) == ("copy", "joined")
    assert first.story is not None
    assert other.story is not None
    assert other.story.story_id == first.story.story_id
    assert other.story.version == 3
    assert after.state.articles.keys() == {
        a.article_id for a in (UNRELATED, ORIGINAL, gdp, SYNDICATED, OTHER_OUTLET)
    }


async def test_stories_brought_together_by_a_later_article_survive_a_restart(database: Database):
    # Two short reports share no word; the third tells both halves.
    reports = [
        article(
            "https://a.example/1", "a", "Oresund bridge closed", "Police closed the Oresund bridge."
        ),
        article(
            "https://b.example/2",
            "b",
            "Winds halt Malmo traffic",
            "Gale winds halted traffic to Malmo.",
        ),
        UNRELATED,
        ORIGINAL,
        article(
            "https://c.example/3",
            "c",
            "Gale closes Oresund bridge to Malmo",
            "Police closed the Oresund bridge as gale winds halted traffic to Malmo.",
        ),
    ]
    before = deduplicator(database)
    outcomes = [await before.process(report) for report in reports]
    after = deduplicator(database)
    await after.catch_up()

    first, second, *_, bridging = outcomes
    assert first.story is not None
    assert second.story is not None
    assert first.story.story_id != second.story.story_id
    assert bridging.story is not None
    assert {a.article_id for a in bridging.story.articles} == {
        r.article_id for r in (reports[0], reports[1], reports[4])
    }
    (withdrawn,) = bridging.changed
    assert withdrawn.merged_into == bridging.story.story_id
    for state in (before.state, after.state):
        for announced in (bridging.story, withdrawn):
            assert same_story(state.story_event(announced.story_id), announced)


def same_story(a: StoryUpdated, b: StoryUpdated) -> bool:
    """The same story at the same version (each announcement is its own event, with the
    times of the article that brought it)."""
    envelope = {"event_id", "occurred_at", "timeline"}
    return a.model_dump(exclude=envelope) == b.model_dump(exclude=envelope)


async def test_a_restart_reads_the_newest_snapshot_and_the_journal_after_it(database: Database):
    settings = DeduplicatorSettings(
        story_window_hours=24, retention_hours=48, snapshot_every_entries=25
    )
    snapshots = Snapshots(database)
    first = Deduplicator(Journal(database), settings, snapshots=snapshots)
    for _, news in daily_news(range(5)):
        await first.process(news)
    await first.close()
    headers = [h["_id"] async for h in snapshots.headers.find({}).sort("_id", 1)]
    chunks = {c["snapshot"] async for c in snapshots.chunks.find({}, {"snapshot": 1})}

    reads: list[int] = []
    journal = Journal(database)
    read_from = journal.read_from

    def counted(position: int) -> AsyncIterator[Assignment]:
        reads.append(position)
        return read_from(position)

    journal.read_from = counted  # type: ignore[method-assign]
    restarted = Deduplicator(journal, settings, snapshots=snapshots)
    await restarted.catch_up()
    from_scratch = Deduplicator(Journal(database), settings)
    await from_scratch.catch_up()

    # One snapshot is written at a time (a busy machine skips some): at most two kept.
    assert 1 <= len(headers) <= 2
    assert chunks == set(headers)
    assert reads == [headers[-1]]  # the journal read from the snapshot on
    assert restarted.state.position == from_scratch.state.position == first.state.position
    assert list(restarted.state.articles.items()) == list(first.state.articles.items())
    assert list(from_scratch.state.stories.items()) == list(restarted.state.stories.items())


async def test_only_the_two_newest_snapshots_are_kept(database: Database):
    settings = DeduplicatorSettings()
    snapshots = Snapshots(database)
    state = DedupState(settings)
    for _, news in daily_news(range(1)):
        decision = state.decide(news)
        if isinstance(decision, Assignment):
            state.apply(decision)
    for position in (10, 20, 30):
        state.position = position
        assert await snapshots.save(*snapshot_documents(state))
    assert not await snapshots.save(*snapshot_documents(state))  # 30 is stored already

    headers = [h["_id"] async for h in snapshots.headers.find({}).sort("_id", 1)]
    chunks = {c["snapshot"] async for c in snapshots.chunks.find({}, {"snapshot": 1})}
    loaded = await snapshots.load(settings)
    assert headers == [20, 30]
    assert chunks == {20, 30}
    assert loaded is not None
    assert loaded.position == 30
