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


async def test_a_batch_gives_each_summary_what_publishing_them_one_by_one_gives(
    database: Database,
):
    store = await store_for(database)
    told, new, withdrawn = "a" * 32, "b" * 32, "c" * 32
    await store.publish(make_summary(told, version=1))
    await store.publish(make_summary(withdrawn, version=1))
    await store.withdraw(make_withdrawal(version=2, merged_into=told, story_id=withdrawn))

    batch = [
        make_summary(told, version=3, headline="Third"),
        make_summary(told, version=2, headline="Second"),
        make_summary(new, version=1),
        make_summary(new, version=1),  # a redelivery in the same batch
        make_summary(withdrawn, version=5),
        make_summary(told, version=1),
    ]
    publications = await store.publish_all(batch)

    assert [p.outcome for p in publications] == [
        Outcome.UPDATED,
        Outcome.STALE,
        Outcome.CREATED,
        Outcome.UNCHANGED,
        Outcome.WITHDRAWN,
        Outcome.STALE,
    ]
    posts = {p["_id"]: p async for p in database.collection("posts").find({})}
    assert {story_id: (p["version"], p["headline"]) for story_id, p in posts.items()} == {
        told: (3, "Third"),
        new: (1, "Storm closes Oresund bridge for 14 hours"),
    }
    assert [c["version"] for c in posts[told]["changes"]] == [3]
    assert publications[0].post is not None
    assert Post.model_validate(posts[told]) == publications[0].post
    assert await database.collection("claims").count_documents({}) == 0


async def test_a_batch_story_whose_slug_is_taken_gets_the_long_slug(database: Database):
    store = await store_for(database)
    first = await store.publish(make_summary("a" * 32))
    others = await store.publish_all([make_summary("a" * 6 + "b" * 26), make_summary("d" * 32)])
    assert [p.outcome for p in others] == [Outcome.CREATED, Outcome.CREATED]
    slugs = {p.post.slug for p in (first, *others) if p.post is not None}
    assert len(slugs) == 3


async def test_a_batch_publishes_a_story_another_process_holds_once_it_is_let_go(
    database: Database,
):
    store, other = await store_for(database), PostStore(database)
    held, free = "a" * 32, "b" * 32
    await store.publish(make_summary(held, version=1))
    let_go = asyncio.Event()

    async def holding() -> None:
        async with other.claims.exclusive(f"post:{held}"):
            await let_go.wait()

    holder = asyncio.create_task(holding())
    await asyncio.sleep(0.2)
    batch = asyncio.create_task(
        store.publish_all([make_summary(held, version=2), make_summary(free, version=1)])
    )
    await asyncio.sleep(0.5)
    assert not batch.done()  # it waits for the held story alone...
    assert await database.collection("posts").find_one({"_id": free}) is not None  # ...not these
    let_go.set()
    publications = await asyncio.wait_for(batch, 30)
    await holder
    assert [p.outcome for p in publications] == [Outcome.UPDATED, Outcome.CREATED]


async def test_batches_racing_withdrawals_never_leave_a_withdrawn_post(database: Database):
    store, other, third = (await store_for(database), PostStore(database), PostStore(database))
    stories = [f"{n:032x}" for n in range(12)]
    await store.publish_all([make_summary(story_id, version=1) for story_id in stories])

    await asyncio.wait_for(
        asyncio.gather(
            store.publish_all([make_summary(story_id, version=2) for story_id in stories]),
            *(
                other.withdraw(make_withdrawal(version=3, merged_into="6" * 32, story_id=story_id))
                for story_id in stories
            ),
            third.publish_all([make_summary(story_id, version=4) for story_id in stories]),
        ),
        60,
    )

    assert await database.collection("posts").count_documents({"_id": {"$in": stories}}) == 0
    assert await database.collection("withdrawn_posts").count_documents({}) == len(stories)


async def test_a_batch_post_another_unique_index_refuses_is_an_error(database: Database):
    store = await store_for(database)
    await database.collection("posts").create_index("headline", unique=True)
    batch = [
        make_summary("1" * 32, headline="Same words"),
        make_summary("2" * 32, headline="Same words"),
    ]
    with pytest.raises(DuplicateKeyError):
        await asyncio.wait_for(store.publish_all(batch), 30)
    assert await database.collection("posts").count_documents({}) == 1
