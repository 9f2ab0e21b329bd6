"""The summarizer's queue in the real MongoDB-compatible server."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from services.summarizer.store import SummaryQueue
from shared.db import Database
from tests.factories import make_story, make_withdrawal
from tests.unit.summarizer.stories import HARBOUR, NORDIC


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
