"""The summarizer's queue in the real MongoDB-compatible server."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta
from typing import Any

from services.summarizer.draft import ExtractiveBackend
from services.summarizer.store import ClaimedStory, Origin, SummaryQueue, Update
from services.summarizer.summarizer import Summarizer
from services.summarizer.worker import SummaryWorker, queue_depth
from shared.db import Database
from shared.events import StorySummarized
from shared.metrics import registry
from tests.factories import make_story, make_withdrawal
from tests.unit.summarizer.stories import HARBOUR, NORDIC
from tests.waiting import eventually, eventually_async


async def test_a_story_withdrawn_before_its_summary_is_never_claimed(database: Database):
    queue = SummaryQueue(database, quiet=timedelta(0), lease=timedelta(minutes=1))
    await queue.create_indexes()
    merged = make_story(HARBOUR, version=1)
    taker = make_story(HARBOUR, NORDIC, version=1, story_id="6" * 32)
    later = datetime.now(UTC) + timedelta(minutes=5)

    for story in (merged, make_withdrawal(version=2, merged_into=taker.story_id), taker):
        assert await queue.accept(story)
    claimed = await queue.claim_due(later)

    assert claimed is not None
    assert claimed.story == taker
    assert await queue.claim_due(later) is None
    assert not await queue.accept(merged)  # the withdrawal is newer than the story was


async def test_a_story_withdrawn_while_it_waits_is_dropped_not_dead_lettered(database: Database):
    """`accept` writes a story's text before its queue entry: a worker that claims the
    entry in between (or after a crash there) reads the withdrawal. Seen in the fault test:
    five failed attempts ("max() arg is an empty sequence"), then a dead letter."""
    queue = SummaryQueue(database, quiet=timedelta(0), lease=timedelta(minutes=1))
    await queue.create_indexes()
    merged = make_story(HARBOUR, version=1)
    assert await queue.accept(merged)
    withdrawal = make_withdrawal(version=2, merged_into="6" * 32)
    await queue.texts.update_one(  # the withdrawal's first write, and no second
        {"_id": merged.story_id}, {"$set": {"version": 2, "story": withdrawal.model_dump_json()}}
    )
    # The process restarted after the crash: it keeps nothing of what it queued before.
    queue = SummaryQueue(database, quiet=timedelta(0), lease=timedelta(minutes=1))
    letters: list[str] = []

    async def dead_letter(claimed: ClaimedStory, reason: str) -> None:
        letters.append(reason)

    async def publish(summary: StorySummarized) -> None:
        raise AssertionError("a withdrawn story is not summarised")

    worker = SummaryWorker(
        queue, Summarizer(ExtractiveBackend(200)), publish, dead_letter, max_attempts=1
    )
    assert await worker.step()  # the entry was due: claimed, found withdrawn, dropped

    assert letters == []
    assert await queue.pending() == 0
    assert await worker.step() is False


async def first_version_claimed(
    database: Database, now: datetime
) -> tuple[SummaryQueue, ClaimedStory]:
    """A queue with a quiet time of 30 s, and a new story queued and claimed at `now`."""
    queue = SummaryQueue(database, quiet=timedelta(seconds=30), lease=timedelta(minutes=1))
    await queue.create_indexes()
    assert await queue.accept(make_story(HARBOUR, version=1), now=now)
    claimed = await queue.claim_due(now)
    assert claimed is not None
    assert claimed.story.version == 1
    return queue, claimed


async def _claimed_version(queue: SummaryQueue, now: datetime) -> int | None:
    claimed = await queue.claim_due(now)
    return claimed.story.version if claimed else None


async def test_a_new_story_is_due_at_once_and_so_is_an_update_long_after_its_summary(
    database: Database,
):
    now = datetime.now(UTC)
    queue, claimed = await first_version_claimed(database, now)  # due at once
    await queue.finish(claimed)

    a_minute_on = now + timedelta(minutes=1)
    assert await queue.accept(make_story(HARBOUR, NORDIC, version=2), now=a_minute_on)
    assert await _claimed_version(queue, a_minute_on) == 2


async def test_updates_in_the_quiet_time_after_a_summary_wait_for_its_end_as_one(
    database: Database,
):
    """A burst of updates after a summary costs one summary more, when the quiet time
    from the summary ends (not from the last update: a story updated without pause is
    still summarised once a quiet time)."""
    now = datetime.now(UTC)
    queue, claimed = await first_version_claimed(database, now)
    await queue.finish(claimed)

    for version in (2, 3, 4):
        at = now + timedelta(seconds=10 * version - 11)  # 9, 19 and 29 s after the summary
        assert await queue.accept(make_story(HARBOUR, NORDIC, version=version), now=at)
        assert await _claimed_version(queue, at) is None

    assert await _claimed_version(queue, now + timedelta(seconds=30)) == 4
    assert await _claimed_version(queue, now + timedelta(seconds=30)) is None


async def test_an_update_queued_while_its_story_is_summarised_waits_for_the_quiet_time(
    database: Database,
):
    now = datetime.now(UTC)
    queue, claimed = await first_version_claimed(database, now)

    assert await queue.accept(make_story(HARBOUR, NORDIC, version=2), now=now)
    await queue.finish(claimed)  # of version 1: version 2 waits

    assert await _claimed_version(queue, now + timedelta(seconds=29)) is None
    assert await _claimed_version(queue, now + timedelta(seconds=30)) == 2


async def test_the_quiet_time_runs_from_the_summarys_claim_not_its_end(database: Database):
    """A summary that outlasts the quiet time (a busy machine) leaves the update that came
    during it due at its end: counted from the end, the update waited for both."""
    claimed_at = datetime.now(UTC) - timedelta(seconds=40)
    queue, claimed = await first_version_claimed(database, claimed_at)  # quiet time 30 s

    assert await queue.accept(make_story(HARBOUR, NORDIC, version=2))
    await queue.finish(claimed)  # 40 s after its claim

    assert await _claimed_version(queue, datetime.now(UTC)) == 2


async def test_a_story_that_fell_due_here_is_claimed_before_older_ones_queued_elsewhere(
    database: Database,
):
    """By its `_id`: workers claiming the oldest due story at once deadlocked in
    PostgreSQL at 50 articles a second (its `FOR UPDATE` keeps rows it passed over locked),
    each deadlock a second lost. The oldest due story is for the poll."""
    here = SummaryQueue(database, quiet=timedelta(0), lease=timedelta(minutes=1))
    elsewhere = SummaryQueue(database, quiet=timedelta(0), lease=timedelta(minutes=1))
    await here.create_indexes()
    earlier = datetime.now(UTC) - timedelta(minutes=1)
    assert await elsewhere.accept(make_story(HARBOUR, version=1, story_id="1" * 32), now=earlier)
    assert await here.accept(make_story(NORDIC, version=1, story_id="2" * 32))

    claimed = [await here.claim_due(), await here.claim_due()]

    assert [story.story.story_id if story else None for story in claimed] == ["2" * 32, "1" * 32]


async def test_a_story_updated_again_before_its_claim_goes_behind_the_ones_due_since(
    database: Database,
):
    """As the oldest-first claim orders them: in a backlog, a story updated again and
    again waits, and its updates cost one summary."""
    queue = SummaryQueue(database, quiet=timedelta(0), lease=timedelta(minutes=1))
    await queue.create_indexes()
    for story in (
        make_story(HARBOUR, version=1, story_id="3" * 32),
        make_story(NORDIC, version=1, story_id="4" * 32),
        make_story(HARBOUR, NORDIC, version=2, story_id="3" * 32),
    ):
        assert await queue.accept(story)

    claimed = [await queue.claim_due(), await queue.claim_due()]

    assert [(c.story.story_id, c.story.version) if c else None for c in claimed] == [
        ("4" * 32, 1),
        ("3" * 32, 2),
    ]


async def test_workers_claiming_a_batch_at_once_each_get_their_own_story(database: Database):
    queue = SummaryQueue(database, quiet=timedelta(0), lease=timedelta(minutes=1))
    await queue.create_indexes()
    ids = [f"{n:032x}" for n in range(64)]
    await queue.accept_all([Update(make_story(HARBOUR, version=1, story_id=i)) for i in ids])
    claimed: list[str] = []

    async def claim_until_none_is_due() -> None:
        while story := await queue.claim_due():
            claimed.append(story.story.story_id)

    await asyncio.gather(*(claim_until_none_is_due() for _ in range(8)))

    assert sorted(claimed) == ids


def _text_reads() -> float:
    labels = {"command": "find", "collection": "summarizer_story_texts"}
    return registry.get_sample_value("pressroom_database_seconds_count", labels) or 0.0


async def test_a_story_this_process_queued_is_claimed_without_reading_its_text_again(
    database: Database,
):
    queue = SummaryQueue(database, quiet=timedelta(0), lease=timedelta(minutes=1))
    await queue.create_indexes()
    story = make_story(HARBOUR, version=1)
    assert await queue.accept(story)
    before = _text_reads()

    claimed = await queue.claim_due()

    assert claimed is not None
    assert claimed.story == story
    assert _text_reads() == before


async def test_a_newer_version_another_replica_queued_is_claimed_with_its_text(
    database: Database,
):
    this, other = (
        SummaryQueue(database, quiet=timedelta(0), lease=timedelta(minutes=1)) for _ in "ab"
    )
    await this.create_indexes()
    first, second = make_story(HARBOUR, version=1), make_story(HARBOUR, NORDIC, version=2)
    assert await this.accept(first)
    assert await other.accept(second)  # what this replica keeps of the story is out of date

    claimed = await this.claim_due(datetime.now(UTC) + timedelta(seconds=1))

    assert claimed is not None
    assert claimed.story == second


async def test_the_summary_last_published_comes_with_the_next_version_claimed(database: Database):
    queue = SummaryQueue(database, quiet=timedelta(0), lease=timedelta(minutes=1))
    await queue.create_indexes()
    first = make_story(HARBOUR, version=1)
    assert await queue.accept(first)
    claimed = await queue.claim_due()
    assert claimed is not None
    assert claimed.previous is None
    summary, _ = await Summarizer(ExtractiveBackend(200)).summarize(claimed.story)
    await queue.finish(claimed, summary)

    assert await queue.accept(make_story(HARBOUR, NORDIC, version=2))
    later = await queue.claim_due(datetime.now(UTC) + timedelta(seconds=1))

    assert later is not None
    assert later.previous == summary


async def test_the_summary_last_published_waits_on_the_queue_entry_deflated(database: Database):
    """Each update, claim and release rewrites the entry whole: the summary on it is a
    fraction of its JSON."""
    queue = SummaryQueue(database, quiet=timedelta(0), lease=timedelta(minutes=1))
    assert await queue.accept(make_story(HARBOUR, NORDIC, version=1))
    claimed = await queue.claim_due()
    assert claimed is not None
    summary, _ = await Summarizer(ExtractiveBackend(200)).summarize(claimed.story)
    await queue.finish(claimed, summary)

    entry = await queue.stories.find_one({"_id": claimed.story.story_id})

    assert entry is not None
    assert len(entry["summary"]) < len(summary.model_dump_json()) / 2


async def test_a_summary_stored_as_json_before_deflating_still_comes_with_the_next_version(
    database: Database,
):
    queue = SummaryQueue(database, quiet=timedelta(0), lease=timedelta(minutes=1))
    first = make_story(HARBOUR, version=1)
    assert await queue.accept(first)
    claimed = await queue.claim_due()
    assert claimed is not None
    summary, _ = await Summarizer(ExtractiveBackend(200)).summarize(claimed.story)
    await queue.finish(claimed, summary)
    await queue.stories.update_one(  # as a release before this one stored it
        {"_id": first.story_id}, {"$set": {"summary": summary.model_dump_json()}}
    )

    assert await queue.accept(make_story(HARBOUR, NORDIC, version=2))
    later = await queue.claim_due(datetime.now(UTC) + timedelta(seconds=1))

    assert later is not None
    assert later.previous == summary


async def test_a_summary_finished_after_a_newer_version_came_leaves_that_version_due(
    database: Database,
):
    queue = SummaryQueue(database, quiet=timedelta(0), lease=timedelta(minutes=1))
    await queue.create_indexes()
    assert await queue.accept(make_story(HARBOUR, version=1))
    claimed = await queue.claim_due()
    assert claimed is not None
    summary, _ = await Summarizer(ExtractiveBackend(200)).summarize(claimed.story)
    assert await queue.accept(make_story(HARBOUR, NORDIC, version=2))  # while summarising
    await queue.finish(claimed, summary)

    later = await queue.claim_due(datetime.now(UTC) + timedelta(seconds=1))

    assert later is not None
    assert later.story.version == 2
    assert later.previous == summary


async def test_a_worker_summarises_several_stories_at_once_each_once(database: Database):
    queue = SummaryQueue(database, quiet=timedelta(0), lease=timedelta(minutes=1))
    await queue.create_indexes()
    stories = [make_story(HARBOUR, version=1, story_id=f"{n}" * 32) for n in range(1, 4)]
    for story in stories:
        assert await queue.accept(story)
    publishing: list[str] = []
    all_in_flight = asyncio.Event()

    async def publish(summary: StorySummarized) -> None:
        publishing.append(summary.story_id)
        if len(publishing) == len(stories):
            all_in_flight.set()
        await all_in_flight.wait()  # one worker alone would wait here for ever

    async def dead_letter(claimed: ClaimedStory, reason: str) -> None:
        raise AssertionError(reason)

    worker = SummaryWorker(
        queue, Summarizer(ExtractiveBackend(200)), publish, dead_letter, max_attempts=1, workers=3
    )
    async with working(worker):
        await eventually(lambda: all_in_flight.is_set(), what="three summaries in flight")
        await eventually_async(lambda: _nothing_pending(queue), what="the stories finished")
    assert sorted(publishing) == sorted(story.story_id for story in stories)


async def _nothing_pending(queue: SummaryQueue) -> bool:
    return await queue.pending() == 0


@asynccontextmanager
async def working(worker: SummaryWorker) -> AsyncIterator[None]:
    """The worker's loop running for the block, cancelled after it."""
    running = asyncio.create_task(worker.run())
    try:
        yield
    finally:
        running.cancel()
        await asyncio.gather(running, return_exceptions=True)


def recording_worker(
    queue: SummaryQueue,
    workers: int = 1,
    then: Callable[[StorySummarized], Awaitable[None]] | None = None,
    poll_seconds: float = 60,
) -> tuple[SummaryWorker, list[int]]:
    """Workers that poll once a minute (other replicas' stories) and the versions they
    publish, in order; `then` runs after each publish, before the story is finished."""
    published: list[int] = []

    async def publish(summary: StorySummarized) -> None:
        published.append(summary.version)
        if then is not None:
            await then(summary)

    async def dead_letter(claimed: ClaimedStory, reason: str) -> None:
        raise AssertionError(reason)

    summarizer = Summarizer(ExtractiveBackend(200))
    worker = SummaryWorker(
        queue,
        summarizer,
        publish,
        dead_letter,
        max_attempts=1,
        workers=workers,
        poll_seconds=poll_seconds,
    )
    return worker, published


async def test_a_worker_claims_what_its_process_queues_when_due_not_at_its_next_poll(
    database: Database,
):
    """The poll (a minute here) is for stories other replicas queued; a new story queued
    here is claimed at once, a later version when its quiet time has passed."""
    queue = SummaryQueue(database, quiet=timedelta(seconds=0.5), lease=timedelta(minutes=1))
    await queue.create_indexes()
    worker, published = recording_worker(queue)
    async with working(worker):
        await asyncio.sleep(0.5)  # the worker found nothing and waits
        assert await queue.accept(make_story(HARBOUR, version=1, story_id="7" * 32))
        await eventually(lambda: published == [1], within=10, what="the new story summarised")
        assert await queue.accept(make_story(HARBOUR, NORDIC, version=2, story_id="7" * 32))
        await eventually(lambda: published == [1, 2], within=10, what="the update, once quiet")


async def test_an_update_queued_during_a_summary_is_claimed_when_the_quiet_time_ends(
    database: Database,
):
    """Not at the next poll (a minute here): the quiet time from the summary's claim sets
    when it is due."""
    queue = SummaryQueue(database, quiet=timedelta(seconds=0.5), lease=timedelta(minutes=1))
    await queue.create_indexes()
    story_id = "9" * 32

    async def update_during_the_first(summary: StorySummarized) -> None:
        if summary.version == 1:
            assert await queue.accept(make_story(HARBOUR, NORDIC, version=2, story_id=story_id))

    worker, published = recording_worker(queue, then=update_during_the_first)
    async with working(worker):
        assert await queue.accept(make_story(HARBOUR, version=1, story_id=story_id))
        await eventually(lambda: published == [1, 2], within=10, what="the update, once quiet")


class CountedClaims(SummaryQueue):
    """Counts the claims sent to the database."""

    claims = 0

    async def _claim(
        self, due: dict[str, Any], now: datetime, sort: list[tuple[str, int]] | None = None
    ) -> ClaimedStory | None:
        self.claims += 1
        return await super()._claim(due, now, sort)


async def test_a_story_queued_here_costs_one_claim_not_one_for_each_worker(database: Database):
    """Each claim is a database command: four workers woken by one story made three
    claims that found nothing (the summarizer alone at 50 versions a second: 35-49% of
    its claims), and a worker that had summarised one looked for the oldest due story
    again (a quarter of its claims)."""
    queue = CountedClaims(database, quiet=timedelta(seconds=0.5), lease=timedelta(minutes=1))
    await queue.create_indexes()
    worker, published = recording_worker(queue, workers=4)
    async with working(worker):
        await eventually(lambda: queue.claims == 4, what="each worker found nothing")
        assert await queue.accept(make_story(HARBOUR, version=1, story_id="8" * 32))
        await eventually(lambda: published == [1], within=10, what="the new story summarised")
        await asyncio.sleep(0.5)
        assert queue.claims == 5  # the woken worker's, and no other
        assert await queue.accept(make_story(HARBOUR, NORDIC, version=2, story_id="8" * 32))
        await eventually(lambda: published == [1, 2], within=10, what="the update, once quiet")
        await asyncio.sleep(0.5)
        assert queue.claims == 6


async def test_a_backlog_queued_elsewhere_is_summarised_one_story_after_another(
    database: Database,
):
    """Stories another replica queued (or this one, before a restart) are found by the
    oldest-first claim: once it finds one, the worker looks there again after each
    summary, not at its next poll (a minute here)."""
    elsewhere = SummaryQueue(database, quiet=timedelta(0), lease=timedelta(minutes=1))
    await elsewhere.create_indexes()
    for n in range(1, 6):
        assert await elsewhere.accept(make_story(HARBOUR, version=1, story_id=f"{n}" * 32))
    here = CountedClaims(database, quiet=timedelta(0), lease=timedelta(minutes=1))
    worker, published = recording_worker(here)
    async with working(worker):
        await eventually(lambda: len(published) == 5, within=10, what="the backlog summarised")
        await eventually(lambda: here.claims == 6, what="the claim that finds it empty")
        await asyncio.sleep(0.5)
        assert here.claims == 6


async def test_idle_workers_make_one_claim_a_poll_not_one_each(database: Database):
    """Eight idle workers each looking for other replicas' stories once a second made
    eight claims a second, every replica, for nothing."""
    queue = CountedClaims(database, quiet=timedelta(0), lease=timedelta(minutes=1))
    await queue.create_indexes()
    worker, _ = recording_worker(queue, workers=4, poll_seconds=0.1)
    async with working(worker):
        await eventually(lambda: queue.claims >= 4, what="each worker's first claim")
        await asyncio.sleep(1.0)
        assert queue.claims <= 4 + 12  # about ten polls; each worker polling: about forty


async def test_a_backlog_found_by_the_poll_draws_in_every_worker(database: Database):
    """The poll wakes one worker; each story it finds oldest-first wakes another, so
    another replica's backlog is worked on four at a time, not one."""
    here = SummaryQueue(database, quiet=timedelta(0), lease=timedelta(minutes=1))
    await here.create_indexes()
    busy: set[str] = set()
    four_at_once = asyncio.Event()

    async def hold_until_four_are_busy(summary: StorySummarized) -> None:
        busy.add(summary.story_id)
        if len(busy) == 4:
            four_at_once.set()
        await four_at_once.wait()

    worker, published = recording_worker(here, workers=4, then=hold_until_four_are_busy)
    async with working(worker):
        await asyncio.sleep(0.5)  # each worker found nothing and sleeps until its poll
        elsewhere = SummaryQueue(database, quiet=timedelta(0), lease=timedelta(minutes=1))
        for n in range(1, 9):
            assert await elsewhere.accept(make_story(HARBOUR, version=1, story_id=f"{n}" * 32))
        here.poll()  # a minute early
        await asyncio.wait_for(four_at_once.wait(), 10)
        await eventually(lambda: len(published) == 8, within=10, what="the backlog summarised")


async def test_the_poll_looks_elsewhere_even_when_every_worker_is_busy(database: Database):
    """No worker waits to be woken: the claim after the story in hand makes the look."""
    here = SummaryQueue(database, quiet=timedelta(0), lease=timedelta(minutes=1))
    await here.create_indexes()
    release = asyncio.Event()

    async def hold_the_first(summary: StorySummarized) -> None:
        if summary.story_id == "1" * 32:
            await release.wait()

    worker, published = recording_worker(here, then=hold_the_first)
    async with working(worker):
        await asyncio.sleep(0.5)  # the worker found nothing and waits
        assert await here.accept(make_story(HARBOUR, version=1, story_id="1" * 32))
        await eventually(lambda: published == [1], what="the first story in hand")
        elsewhere = SummaryQueue(database, quiet=timedelta(0), lease=timedelta(minutes=1))
        assert await elsewhere.accept(make_story(HARBOUR, version=1, story_id="2" * 32))
        here.poll()
        release.set()
        await eventually(lambda: published == [1, 1], within=10, what="the other's story")


async def test_a_story_wakes_a_waiting_worker_before_one_still_claiming(database: Database):
    """A worker registers before its claim, so that a story queued meanwhile is not missed;
    but while its claim is out, another worker may be asleep: that one is woken. One still
    claiming is woken only when no worker sleeps."""
    queue = SummaryQueue(database, quiet=timedelta(0), lease=timedelta(minutes=1))
    claiming = queue.expect_claims()  # registered first, its claim still out
    sleeping = queue.expect_claims()
    asleep = asyncio.create_task(queue.wait_until_due(sleeping))
    await asyncio.sleep(0)
    assert await queue.accept(make_story(HARBOUR, version=1, story_id="5" * 32))
    await asyncio.wait_for(asleep, 5)
    assert sleeping.is_set()
    assert not claiming.is_set()
    assert await queue.accept(make_story(HARBOUR, version=1, story_id="6" * 32))
    assert claiming.is_set()


async def test_the_queues_depth_is_counted_while_the_worker_is_busy(database: Database):
    """KEDA adds replicas on this gauge: it must rise with a backlog the worker is in."""
    queue = SummaryQueue(database, quiet=timedelta(0), lease=timedelta(minutes=1))
    await queue.create_indexes()
    for n in range(1, 4):
        assert await queue.accept(make_story(HARBOUR, version=1, story_id=f"{n}" * 32))
    busy = asyncio.Event()

    async def publish_slowly(summary: StorySummarized) -> None:
        busy.set()
        await asyncio.Event().wait()  # the first summary never gets out

    async def dead_letter(claimed: ClaimedStory, reason: str) -> None:
        raise AssertionError(reason)

    worker = SummaryWorker(
        queue, Summarizer(ExtractiveBackend(200)), publish_slowly, dead_letter, max_attempts=1
    )
    queue_depth.set(0)
    async with working(worker):
        await eventually(busy.is_set, what="the worker busy with the first story")
        assert registry.get_sample_value("pressroom_summary_queue_depth") == 3


async def test_a_batch_of_updates_queues_each_storys_newest_version_as_one_by_one_would(
    database: Database,
):
    queue = SummaryQueue(database, quiet=timedelta(0), lease=timedelta(minutes=1))
    await queue.create_indexes()
    known = make_story(HARBOUR, NORDIC, version=3, story_id="7" * 32)
    assert await queue.accept(known)
    first, second = make_story(HARBOUR, version=1), make_story(HARBOUR, NORDIC, version=2)
    new = make_story(NORDIC, version=1, story_id="8" * 32)
    batch = [
        Update(first),
        Update(second),
        Update(new, Origin(2, 40)),
        Update(new, Origin(2, 41)),  # a redelivery in the same batch
        Update(make_story(HARBOUR, version=2, story_id=known.story_id)),  # older than known
    ]

    assert await queue.accept_all(batch) == [False, True, True, False, False]

    later = datetime.now(UTC) + timedelta(minutes=5)
    claimed = [await queue.claim_due(later) for _ in range(3)]
    assert sorted((c.story.story_id, c.story.version) for c in claimed if c is not None) == [
        (second.story_id, 2),
        (known.story_id, 3),
        (new.story_id, 1),
    ]
    [of_new] = [c for c in claimed if c is not None and c.story.story_id == new.story_id]
    assert of_new.origin == Origin(2, 40)
    # What is claimed is what is stored: read back by another replica, the same stories.
    other = SummaryQueue(database, quiet=timedelta(0), lease=timedelta(minutes=1))
    for each in claimed:
        assert each is not None
        await queue.release(each.story)
    again = [await other.claim_due(later + timedelta(minutes=5)) for _ in range(3)]
    assert {c.story for c in again if c is not None} == {c.story for c in claimed if c}
