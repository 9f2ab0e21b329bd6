"""The summarizer's queue of stories in MongoDB: the newest version of each story waits
there until one replica claims and summarises it.

Receiving a stories.updated event only records it (durably, before the offset commit).
A version is due at once, unless a summary of its story began (was claimed) less than the
quiet time ago: then it waits for the quiet time's end, or the summary's if later, and a
burst of versions meanwhile leaves only the newest waiting, so it costs one summary. A
version older than one already seen is refused. State survives restarts; a claim is a
lease, so a replica that dies mid-summary leaves the story to another once the lease runs
out.

The story itself (up to a few hundred kB of article text) waits in a collection of its
own, read by `_id` once claimed: the queue's documents (the entry and the summary last
published) stay small for the claims, which update them in place. A story claimed by the
process that queued it is not read back: the process keeps what it queued until claimed.
"""

from __future__ import annotations

import asyncio
import contextlib
import uuid
import zlib
from collections import OrderedDict, deque
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, TypeVar

from pydantic import BaseModel
from pymongo import ReturnDocument, UpdateOne

from shared.db import Database, count_matching, write_each
from shared.events import StorySummarized, StoryUpdated
from shared.tracing import carrier

ModelT = TypeVar("ModelT", bound=BaseModel)
NEVER = datetime(1970, 1, 1, tzinfo=UTC)
# Stories this process queued and has not claimed yet, kept to spare the read of their
# text when it claims them itself (the common case: one replica, a new story due at once).
# About 12 kB each on average; the oldest go first.
ACCEPTED_KEPT = 1000
# The stories this process summarised within the quiet time, so that an update in it
# wakes a worker when it ends (another replica's is found by the poll). At most this many.
QUIET_KEPT = 10_000


@dataclass(frozen=True)
class Origin:
    """Where the event came from in stories.updated, for its dead letter."""

    partition: int = -1
    offset: int = -1


@dataclass(frozen=True)
class Update:
    """A stories.updated event to queue, where it came from and the trace it carries."""

    story: StoryUpdated
    origin: Origin = Origin()
    trace: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class ClaimedStory:
    story: StoryUpdated
    attempts: int
    origin: Origin
    claimed_at: datetime  # its summary reads the story as it was then
    trace: dict[str, str] = field(default_factory=dict)  # of the update that queued it
    previous: StorySummarized | None = None  # the summary last published for the story


def packed(event: BaseModel) -> bytes:
    """The event's JSON, deflated. A story's up to 20 articles' text is written at every
    update (for a 12 kB story, the database's CPU per write went from 1.6 to 1.0 ms); the
    summary last published (~6 kB of JSON, ~1.7 kB deflated) rides on the queue entry,
    which each update, claim and release rewrites whole (a claim and its release went from
    7.3-7.5 to 4.1-4.5 ms of the database's CPU). Level 1 costs a fraction of a millisecond."""
    return zlib.compress(event.model_dump_json().encode(), 1)


def unpacked(stored: bytes | str, model: type[ModelT]) -> ModelT:
    # What was stored before it was deflated is JSON as it is.
    return model.model_validate_json(stored if isinstance(stored, str) else zlib.decompress(stored))


class SummaryQueue:
    def __init__(self, database: Database, quiet: timedelta, lease: timedelta) -> None:
        self.stories = database.collection("summarizer_stories")
        self.texts = database.collection("summarizer_story_texts")
        self.quiet = quiet
        self.lease = lease
        self.owner = uuid.uuid4().hex
        # Workers about to wait: each story this process queues or retries wakes one of them
        # when it falls due, rather than at the next poll (which finds other replicas'
        # stories). One, not all: the others' claims would find nothing.
        self._waiting: deque[asyncio.Event] = deque()
        self._asleep: set[asyncio.Event] = set()  # of those, the ones in wait_until_due
        # The stories this process queued or retried that have fallen due, in that order: a
        # worker claims one by its `_id`. Workers claiming the oldest due story at once
        # deadlocked in PostgreSQL (its `FOR UPDATE` keeps the rows it passes over locked):
        # each deadlock cost a second, and the worker that lost it two more.
        self._due_here: dict[str, None] = {}
        self._claiming_oldest = asyncio.Lock()  # so, one such claim at a time
        # Whether the next claim looks for the oldest due story whatever the worker making
        # it: the last such look found one (more may wait that did not fall due here:
        # another replica's, or queued before a restart), or the poll asks for a look.
        self._look_oldest = True
        self._accepted: OrderedDict[str, StoryUpdated] = OrderedDict()
        self._quiet_until: OrderedDict[str, datetime] = OrderedDict()  # oldest first

    async def create_indexes(self) -> None:
        await self.stories.create_index("due_at")

    async def accept(
        self, story: StoryUpdated, origin: Origin = Origin(), now: datetime | None = None
    ) -> bool:
        """Record `story` as the one to summarise; False when a newer or equal version is known."""
        [accepted] = await self.accept_all([Update(story, origin, carrier())], now)
        return accepted

    async def accept_all(
        self, updates: Sequence[Update], now: datetime | None = None
    ) -> list[bool]:
        """`accept` for each of `updates` in their order, in two commands for them all:
        only each story's newest version is written (the ones before it are refused, as
        they would be after it)."""
        now = now or datetime.now(UTC)
        newest: dict[str, Update] = {}
        for update in updates:
            known = newest.get(update.story.story_id)
            if known is None or update.story.version > known.story.version:
                newest[update.story.story_id] = update
        stories = [update.story for update in newest.values()]
        due = [None if story.withdrawn else now for story in stories]
        for story in stories:
            # Kept again only once both writes are done: a claim in between reads the text.
            self._accepted.pop(story.story_id, None)
        # The texts first: a crash before the queue entries is healed by the redelivery. A
        # text refused: this version or a newer one is stored; the queue entry decides.
        texts = [
            UpdateOne(
                {"_id": story.story_id, "version": {"$lt": story.version}},
                {"$set": {"version": story.version, "story": packed(story)}},
                upsert=True,
            )
            for story in stories
        ]
        await write_each(self.texts, texts)
        entries = [
            UpdateOne(
                {"_id": update.story.story_id, "version": {"$lt": update.story.version}},
                {
                    "$set": {
                        "version": update.story.version,
                        "due_at": due_at,
                        "attempts": 0,
                        "origin": [update.origin.partition, update.origin.offset],
                        # The summary, written later by the worker, continues this trace.
                        "trace": update.trace,
                    },
                    "$setOnInsert": {"claimed_until": NEVER, "summarized_version": 0},
                },
                upsert=True,
            )
            for update, due_at in zip(newest.values(), due, strict=True)
        ]
        # Refused: the story is known with this version or a newer one.
        refused = (await write_each(self.stories, entries)).refused
        for index, (story, due_at) in enumerate(zip(stories, due, strict=True)):
            if index not in refused and due_at is not None:
                self._keep(story)
                quiet_until = self._quiet_until.get(story.story_id, due_at)
                self._falls_due(story.story_id, max(due_at, quiet_until))
        accepted = {story.story_id for index, story in enumerate(stories) if index not in refused}
        return [
            update is newest[update.story.story_id] and update.story.story_id in accepted
            for update in updates
        ]

    def _keep(self, story: StoryUpdated) -> None:
        self._accepted[story.story_id] = story
        while len(self._accepted) > ACCEPTED_KEPT:
            self._accepted.popitem(last=False)

    def _falls_due(self, story_id: str, due_at: datetime) -> None:
        delay = (due_at - datetime.now(UTC)).total_seconds()
        if delay <= 0:
            self._due(story_id)
        else:
            asyncio.get_running_loop().call_later(delay, self._due, story_id)

    def _due(self, story_id: str) -> None:
        """The story fell due, to be claimed by its `_id`: wake a worker. A busy one claims
        again anyway as soon as it has finished."""
        # To the back, as the oldest-first claim would have it: a story updated again and
        # again in a backlog waits, and its updates cost one summary (kept in its place,
        # the backfill's versions summarised were 3,654 and 4,068; 3,271 moved back).
        self._due_here.pop(story_id, None)
        self._due_here[story_id] = None
        self.wake_one()

    def poll(self) -> None:
        """Look for the stories no worker here was woken for, at the next claim, made by a
        worker woken for it or one that has just finished a story."""
        self._look_oldest = True
        self.wake_one()

    def wake_one(self) -> None:
        """Wake the worker that has waited longest, if any; one still claiming if none
        waits (its claim may have missed what it is woken for)."""
        if not self._waiting:
            return
        woken = next((w for w in self._waiting if w in self._asleep), self._waiting[0])
        self._waiting.remove(woken)
        woken.set()

    def expect_claims(self) -> asyncio.Event:
        """Before a worker's claim: a story falling due from now on may wake it, by the
        event given, in `wait_until_due`; `forget` it once the worker has claimed or
        waited."""
        woken = asyncio.Event()
        self._waiting.append(woken)
        return woken

    def forget(self, woken: asyncio.Event) -> None:
        with contextlib.suppress(ValueError):  # woken already, by the story it then claims
            self._waiting.remove(woken)

    async def wait_until_due(self, woken: asyncio.Event) -> None:
        """Until this worker is woken (at once if it was since `expect_claims`): by a story
        this process queued or retried falling due, by the oldest-first claim of another
        worker finding one, or by the poll."""
        self._asleep.add(woken)
        try:
            await woken.wait()
        finally:
            self._asleep.discard(woken)

    def _summarized(self, story_id: str, quiet_until: datetime) -> None:
        self._quiet_until.pop(story_id, None)
        self._quiet_until[story_id] = quiet_until
        now = datetime.now(UTC)
        while self._quiet_until and (
            len(self._quiet_until) > QUIET_KEPT or next(iter(self._quiet_until.values())) <= now
        ):
            self._quiet_until.popitem(last=False)

    async def claim_due(
        self, now: datetime | None = None, *, anywhere: bool = True
    ) -> ClaimedStory | None:
        """A story due that no replica holds and whose last summary's quiet time has
        passed, now held by us: one this process saw fall due, by its `_id`; else the
        one due longest ago, found by the `due_at` index (the stories in their quiet time
        are few: the ones updated in it). One atomic update each.

        Not `anywhere` (a worker that has just summarised a story), the oldest due story
        is looked for only if the last such look found one or `poll` asked for one: after
        a story that fell due here it mostly finds nothing (at 50 versions a second, a
        quarter of the claims were such)."""
        now = now or datetime.now(UTC)
        due = {
            "due_at": {"$lte": now},
            "claimed_until": {"$lte": now},
            "quiet_until": {"$not": {"$gt": now}},  # missing on a story never summarised
        }
        while self._due_here:  # each may have been claimed by the oldest-first claim since
            story_id = next(iter(self._due_here))
            del self._due_here[story_id]
            if claimed := await self._claim({"_id": story_id, **due}, now):
                return claimed
        if not (anywhere or self._look_oldest):
            return None
        async with self._claiming_oldest:
            claimed = await self._claim(due, now, sort=[("due_at", 1)])
            self._look_oldest = claimed is not None
        if claimed is not None:
            self.wake_one()  # more may wait there: a backlog draws in every worker
        return claimed

    async def _claim(
        self, due: dict[str, Any], now: datetime, sort: list[tuple[str, int]] | None = None
    ) -> ClaimedStory | None:
        document = await self.stories.find_one_and_update(
            due,
            {
                "$set": {"claimed_until": now + self.lease, "claimed_by": self.owner},
                "$inc": {"attempts": 1},
            },
            sort=sort,
            return_document=ReturnDocument.AFTER,
        )
        if document is None:
            return None
        story, previous = self._accepted.pop(document["_id"], None), document.get("summary")
        # Read back unless this process queued this very version. A later version's
        # previous summary, when the entry has none, may be kept with the text (where it
        # was before it moved to the queue entry); a first version has none.
        if (
            story is None
            or story.version != document["version"]
            or (story.version > 1 and not previous)
        ):
            text = await self.texts.find_one({"_id": document["_id"]})
            if text is None:
                raise RuntimeError(f"story {document['_id']} is queued without its text")
            story, previous = unpacked(text["story"], StoryUpdated), previous or text.get("summary")
        return ClaimedStory(
            story,
            document["attempts"],
            Origin(*document["origin"]),
            now,
            document.get("trace") or {},
            unpacked(previous, StorySummarized) if previous else None,
        )

    async def finish(self, claimed: ClaimedStory, summary: StorySummarized | None = None) -> None:
        """The summary of this version is published: done, unless a newer version came in,
        which is due when the quiet time from the claim has passed (the summary read the
        story as it was then; counted from its end, each update that came during a summary
        waited for the summary as well as the quiet time). The summary is kept on the
        entry, for the next version to start from. One write, unless a newer version came
        in or another replica's claim outlived ours."""
        story = claimed.story
        quiet_until = claimed.claimed_at + self.quiet
        self._summarized(story.story_id, quiet_until)
        done: dict[str, Any] = {
            "summarized_version": story.version,
            "due_at": None,
            "quiet_until": quiet_until,
        }
        if summary is not None:
            done["summary"] = packed(summary)
        held = {"_id": story.story_id, "version": story.version, "claimed_by": self.owner}
        released = await self.stories.update_one(held, {"$set": {**done, "claimed_until": NEVER}})
        if released.matched_count:
            return
        same = await self.stories.update_one(
            {"_id": story.story_id, "version": story.version}, {"$set": done}
        )
        if same.matched_count:
            await self.release(story)
            return
        newer: dict[str, Any] = {"quiet_until": quiet_until}  # a newer version waits
        if summary is not None:  # and starts from this summary
            newer["summary"] = done["summary"]
        await self.stories.update_one({"_id": story.story_id}, {"$set": newer})
        await self.release(story)
        # Once released: a claim before would find it held.
        self._falls_due(story.story_id, quiet_until)

    async def retry_later(
        self, story: StoryUpdated, delay: timedelta, *, count_attempt: bool = True
    ) -> None:
        """Summarising failed: try this story again after `delay`. An outage of Kafka or
        MongoDB is not the story's fault: `count_attempt=False` gives the attempt back."""
        due_at = datetime.now(UTC) + delay
        update: dict[str, Any] = {"$set": {"due_at": due_at}}
        if not count_attempt:
            update["$inc"] = {"attempts": -1}
        await self.stories.update_one({"_id": story.story_id, "version": story.version}, update)
        await self.release(story)
        self._falls_due(story.story_id, due_at)

    async def give_up(self, story: StoryUpdated) -> None:
        """The story went to the dead-letter topic: no more attempts at this version."""
        await self.stories.update_one(
            {"_id": story.story_id, "version": story.version}, {"$set": {"due_at": None}}
        )
        await self.release(story)

    async def drop(self, story: StoryUpdated) -> None:
        """Nothing to summarise (the story was withdrawn): off the queue, whatever version
        its entry waits at (`accept` writes the text before the entry)."""
        await self.stories.update_one({"_id": story.story_id}, {"$set": {"due_at": None}})
        await self.release(story)

    async def release(self, story: StoryUpdated) -> None:
        """Let the story go (a newer version, a failure to retry, a shutdown)."""
        await self.stories.update_one(
            {"_id": story.story_id, "claimed_by": self.owner}, {"$set": {"claimed_until": NEVER}}
        )

    async def pending(self) -> int:
        return await count_matching(self.stories, {"due_at": {"$ne": None}})
