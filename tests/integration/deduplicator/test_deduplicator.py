"""The deduplicator's decisions over the real MongoDB-compatible server."""

from __future__ import annotations

import asyncio

from services.deduplicator.deduplicator import Deduplicator
from services.deduplicator.settings import DeduplicatorSettings
from services.deduplicator.store import DedupStore
from shared.db import Database
from shared.events import ArticleFetched
from tests.factories import make_article

WIRE = (
    "The Senate on Tuesday approved a $1 trillion infrastructure bill after weeks of "
    "negotiations between Democrats and Republicans, sending the package to the House, where "
    "its fate is tied to a larger spending plan that progressives want passed first. The vote "
    "was 69 to 30, with 19 Republicans joining every Democrat in support of the measure."
)


def article(url: str, source: str, title: str, text: str) -> ArticleFetched:
    return make_article(url, source_id=source, title=title, text=text)


ORIGINAL = article(
    "https://apnews.com/a/senate-infrastructure",
    "ap",
    "Senate passes $1 trillion infrastructure bill",
    WIRE,
)
SYNDICATED = article(
    "https://news.example.com/senate-bill",
    "example",
    "Senate approves infrastructure bill",
    "WASHINGTON (AP) - " + WIRE + " Read more.",
)
OTHER_OUTLET = article(
    "https://foxnews.com/politics/senate-infrastructure-vote",
    "fox",
    "Senate passes bipartisan infrastructure bill, 19 Republicans join Democrats",
    "The Senate passed the $1 trillion bipartisan infrastructure bill on Tuesday in a 69-30 "
    "vote, with 19 Republicans joining Democrats. The bill now heads to the House.",
)
UNRELATED = article(
    "https://bbc.co.uk/news/storm",
    "bbc",
    "Storm Ida brings flooding to Louisiana",
    "Hurricane Ida made landfall in Louisiana on Sunday, knocking out power to a million homes "
    "and flooding towns along the coast as rescuers searched for stranded residents.",
)


async def deduplicator(database: Database) -> Deduplicator:
    store = DedupStore(database)
    return Deduplicator(store, DeduplicatorSettings())


async def test_an_exact_duplicate_is_dropped(database: Database):
    dedup = await deduplicator(database)
    first = await dedup.process(ORIGINAL)
    again = ORIGINAL.model_copy(update={"event_id": UNRELATED.event_id})
    same_text_elsewhere = article("https://mirror.example.org/x", "mirror", ORIGINAL.title, WIRE)
    assert first.decision == "new"
    assert (await dedup.process(again)).decision == "duplicate"
    assert (await dedup.process(same_text_elsewhere)).decision == "duplicate"


async def test_a_syndicated_copy_joins_the_story_marked_as_a_copy(database: Database):
    dedup = await deduplicator(database)
    first = await dedup.process(ORIGINAL)
    copy = await dedup.process(SYNDICATED)
    assert copy.decision == "copy"
    assert copy.story is not None
    assert first.story is not None
    assert copy.story.story_id == first.story.story_id
    assert copy.story.version == 2
    marked = {a.article_id: a.copy_of for a in copy.story.articles}
    assert marked == {ORIGINAL.article_id: None, SYNDICATED.article_id: ORIGINAL.article_id}


async def test_another_outlets_report_of_the_event_joins_and_an_unrelated_one_does_not(
    database: Database,
):
    dedup = await deduplicator(database)
    # Term weights are learnt from the stream: it needs more than the two articles.
    unrelated = await dedup.process(UNRELATED)
    first = await dedup.process(ORIGINAL)
    other = await dedup.process(OTHER_OUTLET)
    assert other.decision == "joined"
    assert other.story is not None
    assert first.story is not None
    assert other.story.story_id == first.story.story_id
    assert unrelated.decision == "new"
    assert unrelated.story is not None
    assert unrelated.story.story_id != first.story.story_id


async def test_a_redelivered_article_is_announced_again_without_changing_its_story(
    database: Database,
):
    dedup = await deduplicator(database)
    await dedup.process(ORIGINAL)
    first = await dedup.process(SYNDICATED)  # the story holds two articles now
    redelivered = await dedup.process(ORIGINAL)
    assert redelivered.decision == "redelivered"
    assert first.story is not None
    assert redelivered.story is not None
    assert redelivered.story.version == first.story.version
    assert redelivered.story.articles == first.story.articles
    assert len(first.story.articles) == 2


async def test_two_replicas_given_one_event_at_once_make_one_story(database: Database):
    one, two = await deduplicator(database), await deduplicator(database)
    await one.process(UNRELATED)
    a, b = await asyncio.gather(one.process(ORIGINAL), two.process(OTHER_OUTLET))
    assert {a.decision, b.decision} == {"new", "joined"}
    assert a.story is not None
    assert b.story is not None
    assert a.story.story_id == b.story.story_id


async def test_terms_with_dots_are_stored_and_read_back(database: Database):
    # "1.8" and "u.s" once made the database refuse the article (field names with dots).
    dedup = await deduplicator(database)
    gdp = article(
        "https://a.example/gdp",
        "a",
        "U.S. economy grew 1.8% in the second quarter",
        "The U.S. economy grew at a 1.8% annual rate in the second quarter, the Commerce "
        "Department said on Thursday, slower than the 2.1% economists had expected.",
    )
    first = await dedup.process(gdp)
    again = await dedup.process(gdp)  # redelivered: its stored terms are read back
    assert (first.decision, again.decision) == ("new", "redelivered")
    assert first.story is not None
    assert again.story is not None
    assert again.story.story_id == first.story.story_id
