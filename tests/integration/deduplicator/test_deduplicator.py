"""The deduplicator over its journal on the real MongoDB-compatible server: replicas that
agree through it, and a restart that rebuilds everything from it, or from its newest
snapshot and what follows."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator, Sequence

import pytest
from pymongo.errors import AutoReconnect

from services.deduplicator.deduplicator import Deduplicator
from services.deduplicator.journal import Journal
from services.deduplicator.settings import DeduplicatorSettings
from services.deduplicator.snapshot import Snapshots, snapshot_documents
from services.deduplicator.state import Assignment, DedupState
from shared.db import Database
from shared.events import ArticleFetched, StoryUpdated
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

    assert await two.journal.append_all(two.state.position, [stale]) == 0
    outcome = await two.process(OTHER_OUTLET)  # learns ORIGINAL's entry, decides again
    assert outcome.decision == "joined"


class CountedJournal(Journal):
    """The real journal, counting the entries of each write; the first `failures` writes
    fail as an unreachable server would."""

    def __init__(self, database: Database, failures: int = 0) -> None:
        super().__init__(database)
        self.writes: list[int] = []
        self.failures = failures

    async def append_all(self, position: int, assignments: Sequence[Assignment]) -> int:
        if self.failures:
            self.failures -= 1
            raise AutoReconnect("connection closed")
        self.writes.append(len(assignments))
        return await super().append_all(position, assignments)


async def test_a_batch_is_decided_in_order_and_recorded_in_one_journal_write(database: Database):
    journal = CountedJournal(database)
    batch = [UNRELATED, ORIGINAL, SYNDICATED, OTHER_OUTLET, again(ORIGINAL)]
    outcomes = await Deduplicator(journal, DeduplicatorSettings()).process_all(batch)
    restarted = deduplicator(database)
    await restarted.catch_up()

    assert [o.decision for o in outcomes] == ["new", "new", "copy", "joined", "duplicate"]
    original, copy, other = (o.story for o in outcomes[1:4])
    assert original is not None
    assert copy is not None
    assert other is not None
    assert original.story_id == copy.story_id == other.story_id
    assert [original.version, copy.version, other.version] == [1, 2, 3]
    assert journal.writes == [4]
    assert restarted.state.position == 4
    assert same_story(restarted.state.story_event(other.story_id), other)


async def test_a_batch_that_lost_a_journal_position_is_decided_again_after_the_winner(
    database: Database,
):
    one, two = (
        deduplicator(database),
        Deduplicator(CountedJournal(database), DeduplicatorSettings()),
    )
    await one.process(UNRELATED)
    assert (await two.process(again(UNRELATED))).decision == "duplicate"  # two is caught up
    won = await one.process(ORIGINAL)  # entry 1, which `two` has not read
    outcomes = await two.process_all([OTHER_OUTLET, SYNDICATED])
    await one.catch_up()

    # Decided without ORIGINAL, OTHER_OUTLET would have started a story of its own.
    assert [o.decision for o in outcomes] == ["joined", "copy"]
    assert won.story is not None
    assert {o.story.story_id for o in outcomes if o.story} == {won.story.story_id}
    assert one.state.position == two.state.position == 4
    assert list(one.state.stories.items()) == list(two.state.stories.items())
    # Another replica is writing: batches are recorded an entry at a time for a while.
    assert isinstance(two.journal, CountedJournal)
    writes = len(two.journal.writes)
    await two.process_all([again(ORIGINAL), daily(1), daily(2)])
    assert two.journal.writes[writes:] == [1, 1]


async def test_a_batch_whose_journal_write_failed_is_decided_anew_when_read_again(
    database: Database,
):
    settings = DeduplicatorSettings()
    dedup = Deduplicator(CountedJournal(database, failures=1), settings)
    with pytest.raises(AutoReconnect):
        await dedup.process_all([ORIGINAL, OTHER_OUTLET])
    outcomes = await dedup.process_all([ORIGINAL, OTHER_OUTLET])

    # Not "redelivered": the first try recorded nothing, so nothing was placed.
    assert [o.decision for o in outcomes] == ["new", "joined"]
    assert dedup.state.position == 2


def again(article: ArticleFetched) -> ArticleFetched:
    """The same article in a new event (a second fetch of its URL)."""
    return article.model_copy(update={"event_id": uuid.uuid4()})


def daily(day: int) -> ArticleFetched:
    (_, news), *_ = daily_news(range(day, day + 1))
    return news


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
