"""A story that gained or lost only copies keeps its summary, credited to its articles now."""

from __future__ import annotations

from services.summarizer.draft import ExtractiveBackend
from services.summarizer.recredit import recredited
from services.summarizer.summarizer import Summarizer
from shared.events import GroundedText, StoryArticle, StorySummarized, StoryUpdated
from tests.factories import make_article, story_article
from tests.unit.summarizer.stories import COAST, HARBOUR, NORDIC

REPRINT = make_article(
    "https://reprints.example/harbour",
    source_id="reprints",
    title=HARBOUR.title,
    text=HARBOUR.text,
)


def story(*articles: StoryArticle, version: int) -> StoryUpdated:
    """HARBOUR and NORDIC as originals, with the given extra articles (copies built by
    `story_article(..., copy_of=...)`)."""
    parts = [story_article(HARBOUR), story_article(NORDIC), *articles]
    return StoryUpdated(
        story_id="5" * 32,
        version=version,
        articles=tuple(parts),
        article_count=len(parts),
        first_seen_at=HARBOUR.fetched_at,
    )


async def summarised(first: StoryUpdated) -> StorySummarized:
    summary, _ = await Summarizer(ExtractiveBackend(200)).summarize(first)
    return summary


async def test_a_story_that_gained_a_copy_keeps_its_sentences_and_credits_the_copy():
    previous = await summarised(story(version=1))
    copy = story_article(REPRINT, copy_of=HARBOUR.article_id)
    gained = story(copy, version=2)

    summary = recredited(previous, gained)

    assert summary is not None
    assert summary.version == 2
    assert summary.event_id != previous.event_id
    assert [p.text for p in summary.key_points] == [p.text for p in previous.key_points]
    assert [s.text for s in summary.summary] == [s.text for s in previous.summary]
    assert summary.headline == previous.headline
    assert [(s.source_name, s.is_copy) for s in summary.sources][-1] == ("Reprints", True)
    assert summary.article_count == 3


async def test_a_copy_that_left_is_cited_no_more_and_if_it_held_the_evidence_all_is_redone():
    copy = story_article(REPRINT, copy_of=HARBOUR.article_id)
    previous = await summarised(story(copy, version=1))
    cited = {a for point in previous.key_points for a in point.article_ids}
    assert REPRINT.article_id in cited  # the reprint says what its original says

    without_evidence = previous.model_copy(
        update={
            part: tuple(t.model_copy(update={"evidence": None}) for t in getattr(previous, part))
            for part in ("key_points", "summary")
        }
    )
    summary = recredited(without_evidence, story(version=2))
    assert summary is not None
    assert all(REPRINT.article_id not in p.article_ids for p in summary.key_points)
    assert all(REPRINT.article_id not in s.article_ids for s in summary.summary)

    def moved_to_the_reprint(point: GroundedText) -> GroundedText:
        if point.evidence is None:
            return point
        evidence = point.evidence.model_copy(update={"article_id": REPRINT.article_id})
        return point.model_copy(update={"evidence": evidence})

    points = tuple(map(moved_to_the_reprint, previous.key_points))
    on_the_reprint = previous.model_copy(update={"key_points": points})
    assert recredited(on_the_reprint, story(version=2)) is None


async def test_a_new_original_report_is_summarised_anew():
    previous = await summarised(story(version=1))
    assert recredited(previous, story(story_article(COAST), version=2)) is None


async def test_the_summarizer_recredits_only_when_the_originals_are_the_same():
    summarizer = Summarizer(ExtractiveBackend(200))
    previous = await summarised(story(version=1))
    copy = story_article(REPRINT, copy_of=HARBOUR.article_id)

    _, report = await summarizer.summarize(story(copy, version=2), previous)
    assert report.recredited
    _, report = await summarizer.summarize(story(story_article(COAST), version=3), previous)
    assert not report.recredited
