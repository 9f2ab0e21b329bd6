"""Posts in the real MongoDB-compatible server: versions, slugs, change log."""

from __future__ import annotations

import asyncio

import pytest
from pymongo.errors import DuplicateKeyError

from services.publisher.store import Outcome, PostStore
from shared.db import Database
from shared.posts import Post
from tests.factories import make_summary, make_withdrawal


async def store_for(database: Database) -> PostStore:
    store = PostStore(database)
    await store.create_indexes()
    return store


async def test_publishing_version_3_then_version_2_leaves_version_3(database: Database):
    store = await store_for(database)
    assert (
        await store.publish(make_summary(version=3, headline="Third"))
    ).outcome is Outcome.CREATED
    assert (
        await store.publish(make_summary(version=2, headline="Second"))
    ).outcome is Outcome.STALE
    post = await database.collection("posts").find_one({"_id": "5" * 32})
    assert post is not None
    assert (post["version"], post["headline"]) == (3, "Third")


async def test_a_redelivered_version_changes_nothing(database: Database):
    store = await store_for(database)
    await store.publish(make_summary(version=1))
    again = await store.publish(make_summary(version=1, headline="Other words"))
    assert again.outcome is Outcome.UNCHANGED
    assert again.post is not None
    assert again.post.headline == "Storm closes Oresund bridge for 14 hours"


async def test_the_slug_never_changes_and_each_update_is_logged(database: Database):
    store = await store_for(database)
    created = await store.publish(make_summary(version=1, outlets=("Harbour News",)))
    updated = await store.publish(
        make_summary(
            version=2, headline="Oresund bridge reopens", outlets=("Harbour News", "Coast Times")
        )
    )
    assert updated.outcome is Outcome.UPDATED
    assert updated.post is not None
    assert created.post is not None
    assert (
        updated.post.slug == created.post.slug == "storm-closes-oresund-bridge-for-14-hours-555555"
    )
    assert updated.post.first_published_at == created.post.first_published_at
    assert updated.post.updated_at >= created.post.updated_at
    assert [c.notes for c in updated.post.changes] == [
        ("1 new source: Coast Times", "headline updated")
    ]
    stored = await database.collection("posts").find_one({"_id": "5" * 32})
    assert stored is not None
    assert Post.model_validate(stored) == updated.post  # what was written is what was said


async def test_two_stories_with_one_headline_get_two_slugs(database: Database):
    store = await store_for(database)
    first = await store.publish(make_summary("a" * 32))
    second = await store.publish(make_summary("a" * 6 + "b" * 26))
    assert first.post is not None
    assert second.post is not None
    assert first.post.slug != second.post.slug


async def test_versions_racing_from_two_replicas_leave_the_newest(database: Database):
    store, other = await store_for(database), PostStore(database)
    await store.publish(make_summary(version=1))
    await asyncio.gather(
        *(
            s.publish(make_summary(version=v, headline=f"Version {v}"))
            for v in range(2, 12)
            for s in (store, other)
        )
    )
    post = await database.collection("posts").find_one({"_id": "5" * 32})
    assert post is not None
    assert (post["version"], post["headline"]) == (11, "Version 11")


async def test_a_withdrawn_story_leaves_the_site_and_no_late_summary_brings_it_back(
    database: Database,
):
    store = await store_for(database)
    await store.publish(make_summary(version=2))
    withdrawal = make_withdrawal(version=3, merged_into="6" * 32)

    first = await store.withdraw(withdrawal)
    again = await store.withdraw(withdrawal)  # a redelivery records nothing new...
    assert (first.recorded, again.recorded) == (True, False)
    assert again.post == first.post  # ...and can announce the same withdrawal again
    assert first.post.was_on_the_site
    late = await store.publish(make_summary(version=2, headline="Late words"))

    assert late.outcome is Outcome.WITHDRAWN
    assert await database.collection("posts").find_one({"_id": "5" * 32}) is None
    recorded = await database.collection("withdrawn_posts").find_one({"_id": "5" * 32})
    assert recorded is not None
    assert (recorded["merged_into"], recorded["version"]) == ("6" * 32, 3)
    assert recorded["slug"] == "storm-closes-oresund-bridge-for-14-hours-555555"


async def test_withdrawals_racing_publications_never_leave_a_withdrawn_post(database: Database):
    store, other = await store_for(database), await store_for(database)
    stories = [f"{n:032x}" for n in range(12)]
    for story_id in stories:
        await store.publish(make_summary(story_id, version=1))

    await asyncio.gather(
        *(
            task
            for story_id in stories
            for task in (
                store.publish(make_summary(story_id, version=2)),
                other.withdraw(make_withdrawal(version=3, merged_into="6" * 32, story_id=story_id)),
                store.publish(make_summary(story_id, version=4)),
            )
        )
    )

    assert await database.collection("posts").count_documents({"_id": {"$in": stories}}) == 0
    assert await database.collection("withdrawn_posts").count_documents({}) == len(stories)


async def test_a_post_another_unique_index_refuses_is_an_error_not_tried_for_ever(
    database: Database,
):
    """An operator's unique index on headlines: the second story's post cannot be written;
    the error goes up (to the dead-letter policy), not round a loop."""
    store = await store_for(database)
    await database.collection("posts").create_index("headline", unique=True)
    await store.publish(make_summary("1" * 32, headline="Storm closes Oresund bridge"))

    with pytest.raises(DuplicateKeyError):
        await asyncio.wait_for(
            store.publish(make_summary("2" * 32, headline="Storm closes Oresund bridge")), 30
        )
