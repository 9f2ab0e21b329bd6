"""A snapshot of the deduplicator's state restores it so that it decides as before."""

from __future__ import annotations

import itertools
import uuid
from collections.abc import Mapping
from typing import Any

import bson
import pytest

from services.deduplicator import snapshot
from services.deduplicator.settings import DeduplicatorSettings
from services.deduplicator.state import Assignment, DedupState, Outcome
from shared.events import ArticleFetched
from tests.unit.deduplicator.daily_news import daily_news

SETTINGS = DeduplicatorSettings(story_window_hours=24, retention_hours=48)


def stored(document: Mapping[str, Any]) -> dict[str, Any]:
    """The document as the database gives it back."""
    return bson.decode(bson.encode(document))


def restored(state: DedupState, monkeypatch: pytest.MonkeyPatch) -> DedupState:
    monkeypatch.setattr(snapshot, "ARTICLES_PER_CHUNK", 7)  # several chunks of each kind
    monkeypatch.setattr(snapshot, "STORIES_PER_CHUNK", 5)
    monkeypatch.setattr(snapshot, "TERMS_PER_CHUNK", 50)
    header, chunks = snapshot.snapshot_documents(state)
    assert len(chunks) > 3
    return snapshot.state_from(SETTINGS, stored(header), (stored(c) for c in chunks))


def held(state: DedupState) -> dict[str, Any]:
    """Everything the state holds, in the order it holds it."""
    clusterer = state.clusterer
    return {
        "state": (state.position, state.clock, state.next_sweep),
        "articles": list(state.articles.items()),
        "stories": list(state.stories.items()),
        "fingerprints": state.fingerprints,
        "bands": {key: band for key, band in state.bands.items() if band},
        "counts": (clusterer.documents, clusterer.arrived, clusterer.frequencies),
        "clustered": list(clusterer.articles.items()),
        "arrival": clusterer.arrival,
        "stories_of": (clusterer.story_of, clusterer.members),
        "similar": {a: list(near.items()) for a, near in clusterer.similarities.items() if near},
        "index": (
            clusterer.index_keys,
            {k: list(v) for k, v in clusterer.articles_by_term.items()},
        ),
    }


def announced(outcome: Outcome) -> list[dict[str, Any]]:
    """The stories an outcome announces, but for each event's own id and time."""
    return [s.model_dump(exclude={"event_id", "occurred_at"}) for s in outcome.stories]


def decide_alike(states: list[DedupState], article: ArticleFetched) -> list[Any]:
    """Each state's decision, new story ids drawn alike; the first one's assignment is then
    applied to all (as a replica applies the journal)."""
    decisions = []
    for state in states:
        numbers = itertools.count()
        with pytest.MonkeyPatch.context() as patch:
            patch.setattr(uuid, "uuid4", lambda n=numbers: uuid.UUID(int=next(n)))
            decisions.append(state.decide(article))
    if isinstance(decisions[0], Assignment):
        for state in states:
            state.apply(decisions[0])
    return decisions


def test_a_restored_state_decides_and_announces_as_the_one_it_was_taken_of(
    monkeypatch: pytest.MonkeyPatch,
):
    stream = list(daily_news(range(8)))
    original = DedupState(SETTINGS)
    for _, article in stream[:100]:
        decision = original.decide(article)
        if isinstance(decision, Assignment):
            original.apply(decision)
    assert len(original.articles) < 100  # the snapshot holds what the retention kept
    copy = restored(original, monkeypatch)

    assert held(copy) == held(original)
    for _, article in stream[100:]:
        mine, theirs = decide_alike([original, copy], article)
        assert theirs == mine
        if isinstance(mine, Assignment):
            assert announced(copy.outcome(mine)) == announced(original.outcome(mine))
    assert held(copy) == held(original)


def test_an_empty_state_restores_empty(monkeypatch: pytest.MonkeyPatch):
    header, chunks = snapshot.snapshot_documents(DedupState(SETTINGS))
    state = snapshot.state_from(SETTINGS, stored(header), (stored(c) for c in chunks))

    assert (state.position, state.articles, state.stories, state.clock) == (0, {}, {}, None)
