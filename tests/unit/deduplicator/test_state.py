"""The deduplicator's decisions over its in-memory state."""

from __future__ import annotations

from collections import Counter
from dataclasses import replace
from datetime import timedelta

import pytest
from pydantic import ValidationError

from services.deduplicator.clustering import Move
from services.deduplicator.journal import assignment_of, entry_document
from services.deduplicator.minhash import MinHasher
from services.deduplicator.settings import DeduplicatorSettings
from services.deduplicator.state import Assignment, DedupState
from shared.events import ArticleFetched, StoryUpdated
from tests.factories import make_article
from tests.unit.deduplicator.articles import (
    ORIGINAL,
    OTHER_OUTLET,
    SYNDICATED,
    UNRELATED,
    WIRE,
    article,
)
from tests.unit.deduplicator.daily_news import articles_a_day, daily_news


def place(state: DedupState, article: ArticleFetched) -> tuple[str, StoryUpdated | None]:
    """Decide, apply, and say what was decided and the story announced."""
    decision = state.decide(article)
    if isinstance(decision, Assignment):
        state.apply(decision)
    outcome = state.outcome(decision)
    return outcome.decision, outcome.story


def test_an_exact_duplicate_is_dropped():
    state = DedupState(DeduplicatorSettings())
    again = ORIGINAL.model_copy(update={"event_id": UNRELATED.event_id})
    same_text_elsewhere = article("https://mirror.example.org/x", "mirror", ORIGINAL.title, WIRE)

    assert place(state, ORIGINAL)[0] == "new"
    assert place(state, again) == ("duplicate", None)
    assert place(state, same_text_elsewhere) == ("duplicate", None)


def test_a_syndicated_copy_joins_the_story_marked_as_a_copy():
    state = DedupState(DeduplicatorSettings())
    _, first = place(state, ORIGINAL)
    decision, story = place(state, SYNDICATED)

    assert decision == "copy"
    assert first is not None
    assert story is not None
    assert story.story_id == first.story_id
    assert story.version == 2
    marked = {a.article_id: a.copy_of for a in story.articles}
    assert marked == {ORIGINAL.article_id: None, SYNDICATED.article_id: ORIGINAL.article_id}
    assert next(a.article_id for a in story.articles) == ORIGINAL.article_id  # originals first


def test_a_copy_word_for_word_is_a_copy_without_its_shingles_hashed_again(monkeypatch):
    state = DedupState(DeduplicatorSettings())
    hashed = Counter[str]()
    signature = MinHasher.signature

    def counted(hasher: MinHasher, shingles: set[str]) -> list[int]:
        hashed["texts"] += 1
        return signature(hasher, shingles)

    monkeypatch.setattr(MinHasher, "signature", counted)
    place(state, ORIGINAL)
    reprint = ORIGINAL.model_copy(
        update={
            "event_id": UNRELATED.event_id,
            "article_id": SYNDICATED.article_id,
            "title": "A new headline over the same report",
            "source_id": "another-outlet",
        }
    )
    decision = state.decide(reprint)

    assert isinstance(decision, Assignment)
    assert decision.decision == "copy"
    assert decision.signature == tuple(state.articles[ORIGINAL.article_id].signature)
    assert hashed["texts"] == 1


def test_the_signatures_kept_for_reprints_are_bounded(monkeypatch):
    monkeypatch.setattr("services.deduplicator.state.SIGNATURES_KEPT", 3)
    state = DedupState(DeduplicatorSettings())
    for n in range(10):
        url, text = f"https://example.com/news/{n}", f"Words of report number {n}. " * 5
        place(state, make_article(url, title=f"Report {n}", text=text))

    assert len(state._signatures) == 3


def test_another_outlets_report_of_the_event_joins_and_an_unrelated_one_does_not():
    state = DedupState(DeduplicatorSettings())
    # Term weights are learnt from the stream: it needs more than the two articles.
    unrelated = place(state, UNRELATED)
    first = place(state, ORIGINAL)
    other = place(state, OTHER_OUTLET)

    assert (unrelated[0], first[0], other[0]) == ("new", "new", "joined")
    assert other[1] is not None
    assert first[1] is not None
    assert unrelated[1] is not None
    assert other[1].story_id == first[1].story_id != unrelated[1].story_id


def test_a_redelivered_article_is_announced_again_without_changing_its_story():
    state = DedupState(DeduplicatorSettings())
    place(state, ORIGINAL)
    _, first = place(state, SYNDICATED)
    decision, again = place(state, ORIGINAL)

    assert decision == "redelivered"
    assert first is not None
    assert again is not None
    assert (again.story_id, again.version, again.articles) == (
        first.story_id,
        first.version,
        first.articles,
    )
    assert again is not None
    assert len(again.articles) == 2


def test_deciding_changes_nothing_until_applied():
    state = DedupState(DeduplicatorSettings())
    place(state, UNRELATED)
    one, two = state.decide(ORIGINAL), state.decide(ORIGINAL)

    assert isinstance(one, Assignment)
    assert isinstance(two, Assignment)
    assert (one.decision, two.decision) == ("new", "new")
    assert state.position == 1
    assert ORIGINAL.article_id not in state.articles


def test_a_story_event_carries_at_most_the_configured_number_of_articles():
    state = DedupState(DeduplicatorSettings(max_story_articles=1))
    place(state, ORIGINAL)
    _, story = place(state, SYNDICATED)

    assert story is not None
    assert story.article_count == 2
    assert [a.article_id for a in story.articles] == [ORIGINAL.article_id]


def test_an_article_that_changes_story_takes_its_copies_and_an_emptied_story_is_withdrawn():
    state = DedupState(DeduplicatorSettings())
    journal: list[Assignment] = []
    for fetched in (ORIGINAL, SYNDICATED, UNRELATED):
        entry = state.decide(fetched)
        assert isinstance(entry, Assignment)
        state.apply(entry)
        journal.append(entry)
    assert journal[1].decision == "copy"
    report, storm = state.story_event(journal[0].story_id), state.story_event(journal[2].story_id)
    # The clusterer decides that the new article, and the original report with it, belong
    # in the storm's story (a made-up placement: the bookkeeping is what is checked here).
    decision = state.decide(OTHER_OUTLET)
    assert isinstance(decision, Assignment)
    assert decision.placement is not None
    moved = replace(
        decision,
        story_id=storm.story_id,
        placement=replace(
            decision.placement,
            story_id=storm.story_id,
            moves=(Move(ORIGINAL.article_id, report.story_id, storm.story_id),),
        ),
    )
    journal.append(moved)
    state.apply(moved)
    rebuilt = DedupState(DeduplicatorSettings())  # a restart: the journal read back
    for n, entry in enumerate(journal):
        rebuilt.apply(assignment_of(entry_document(n, entry)))

    for current in (state, rebuilt):
        outcome = current.outcome(moved)
        assert outcome.story is not None
        assert outcome.story.story_id == storm.story_id
        assert {a.article_id for a in outcome.story.articles} == {
            UNRELATED.article_id,
            ORIGINAL.article_id,
            SYNDICATED.article_id,
            OTHER_OUTLET.article_id,
        }
        assert outcome.story.version == storm.version + 1
        (withdrawn,) = outcome.changed
        assert (withdrawn.story_id, withdrawn.merged_into) == (report.story_id, storm.story_id)
        assert (withdrawn.articles, withdrawn.article_count) == ((), 0)
        assert withdrawn.version == report.version + 1


SPLIT_OFF = "7" * 32


def split_by_the_other_outlets_report(state: DedupState) -> str:
    """ORIGINAL and UNRELATED placed; then OTHER_OUTLET joins ORIGINAL's story and takes its
    place there, ORIGINAL going to a new story SPLIT_OFF (a made-up placement: the
    bookkeeping is what is checked). The story OTHER_OUTLET is in."""
    for fetched in (ORIGINAL, UNRELATED):
        entry = state.decide(fetched)
        assert isinstance(entry, Assignment)
        state.apply(entry)
    report = state.articles[ORIGINAL.article_id].story_id
    decision = state.decide(OTHER_OUTLET)
    assert isinstance(decision, Assignment)
    assert decision.placement is not None
    state.apply(
        replace(
            decision,
            story_id=report,
            placement=replace(
                decision.placement,
                story_id=report,
                moves=(Move(ORIGINAL.article_id, report, SPLIT_OFF),),
            ),
        )
    )
    return report


def test_articles_split_off_into_a_new_story_start_it():
    state = DedupState(DeduplicatorSettings())
    report = split_by_the_other_outlets_report(state)

    assert [a.article_id for a in state.story_event(SPLIT_OFF).articles] == [ORIGINAL.article_id]
    assert [a.article_id for a in state.story_event(report).articles] == [OTHER_OUTLET.article_id]


def test_a_redelivery_announces_again_every_story_its_arrival_changed():
    # The cause of articles missing from the site: a replica journals an article that
    # takes an earlier one into a new story, and dies before announcing that story. The
    # redelivered article must announce it too, or its articles never reach a post.
    state = DedupState(DeduplicatorSettings())
    report = split_by_the_other_outlets_report(state)
    first = state.outcome(state.decide(OTHER_OUTLET))

    assert first.decision == "redelivered"
    assert first.story is not None
    assert first.story.story_id == report
    assert [(s.story_id, [a.article_id for a in s.articles]) for s in first.changed] == [
        (SPLIT_OFF, [ORIGINAL.article_id])
    ]


def test_each_article_knows_the_story_version_that_first_held_it():
    state = DedupState(DeduplicatorSettings())
    place(state, ORIGINAL)
    place(state, SYNDICATED)
    story = state.articles[ORIGINAL.article_id].story_id

    assert state.stories[story].version == 2
    assert state.articles[ORIGINAL.article_id].since_version == 1
    assert state.articles[SYNDICATED.article_id].since_version == 2


def test_stories_untouched_for_the_retention_leave_memory_whole_and_memory_stays_flat():
    settings = DeduplicatorSettings(story_window_hours=24, retention_hours=48)
    state = DedupState(settings)
    held: dict[int, int] = {}
    for day, fetched in daily_news(range(12)):
        decision = state.decide(fetched)
        if isinstance(decision, Assignment):
            state.apply(decision)
        held[day] = len(state.articles)

    # Two days kept, a third while its stories are swept every two hours of news.
    assert max(held.values()) <= 4 * articles_a_day()
    assert held[11] == held[8]
    kept = set(state.articles)
    clusterer = state.clusterer
    assert kept == {a for s in state.stories.values() for a in s.articles}
    assert set(clusterer.articles) <= kept
    assert set(clusterer.story_of) == set(clusterer.articles) == set(clusterer.index_keys)
    assert {a for indexed in clusterer.articles_by_term.values() for a in indexed} <= kept
    assert (
        set(clusterer.similarities) | {a for near in clusterer.similarities.values() for a in near}
        <= kept
    )
    assert {a for band in state.bands.values() for a in band} <= kept
    assert set(state.fingerprints.values()) <= kept
    # The term weights are learnt from the articles kept, no others.
    assert clusterer.documents == len(kept)
    assert clusterer.frequencies == Counter(t for a in kept for t in state.counted_terms(a))


def test_a_story_still_changing_stays_however_old_its_first_article():
    settings = DeduplicatorSettings(story_window_hours=24, retention_hours=48)
    state = DedupState(settings)
    _, first = place(state, ORIGINAL)
    assert first is not None
    assert ORIGINAL.published_at is not None
    for day in (1, 2, 3, 4):  # a copy of the report each day keeps the story going
        copy = make_article(
            f"{SYNDICATED.canonical_url}/{day}",
            source_id=f"outlet-{day}",
            title=f"{SYNDICATED.title} ({day})",
            text=SYNDICATED.text,
            published_at=ORIGINAL.published_at + timedelta(days=day),
        )
        assert place(state, copy)[0] == "copy"

    assert len(state.stories[first.story_id].articles) == 5
    assert ORIGINAL.article_id in state.articles


def test_a_retention_shorter_than_the_window_stops_the_service():
    with pytest.raises(ValidationError, match="PRESSROOM_STORY_WINDOW_HOURS"):
        DeduplicatorSettings(story_window_hours=72, retention_hours=24)
