"""From a draft to the published summary: the grounding gate, sources, image and dates.

Every key point and summary sentence passes the gate or does not publish: a failing key
point is replaced by the best source sentence not used yet (repaired), or dropped; a
failing summary sentence is dropped. A story never publishes an unsupported number.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime

from services.summarizer.category import categorise
from services.summarizer.draft import Draft
from services.summarizer.grounding import Verdict
from services.summarizer.material import StoryMaterial
from services.summarizer.sentences import publishable
from shared.events import (
    Evidence,
    GroundedText,
    LeadImage,
    SourceCredit,
    StorySummarized,
    StoryUpdated,
)
from shared.text import words

KEY_POINTS = 5


@dataclass
class GateReport:
    """What the gate did to one story: counts by part, outcome and the reason a sentence
    was refused ("" for one it passed)."""

    outcomes: Counter[tuple[str, str, str]] = field(default_factory=Counter)
    recredited: bool = False  # the previous summary stands (recredit.py): nothing checked

    def count(self, part: str, outcome: str, reason: str | None = None) -> None:
        self.outcomes[(part, outcome, reason or "")] += 1


class EmptySummary(ValueError):
    """The story has no sentence that could be published."""


def compose(story_material: StoryMaterial, draft: Draft) -> tuple[StorySummarized, GateReport]:
    material, story, report = story_material, story_material.story, GateReport()
    gate = material.gate

    spares = _spare_key_points(material, used=set(draft.key_points) | set(draft.summary))
    key_points: list[GroundedText] = []
    for point in draft.key_points[:KEY_POINTS]:
        verdict = gate.check(point)
        if verdict.grounded and publishable(point):
            key_points.append(grounded(point, verdict))
            report.count("key_point", "grounded")
        elif repair := next(spares, None):
            key_points.append(repair)
            report.count("key_point", "repaired", verdict.reason)
        else:
            report.count("key_point", "dropped", verdict.reason)
    # Fewer than five only when the story has no more distinct, grounded sentences.
    while len(key_points) < KEY_POINTS and (extra := next(spares, None)):
        key_points.append(extra)

    summary: list[GroundedText] = []
    said = {_plain(p.text) for p in key_points}
    for sentence in draft.summary:
        if _plain(sentence) in said:
            continue  # a shorter summary beats one that repeats a key point
        verdict = gate.check(sentence)
        if verdict.grounded and publishable(sentence):
            summary.append(grounded(sentence, verdict))
            said.add(_plain(sentence))
            report.count("summary", "grounded")
        else:
            report.count("summary", "dropped", verdict.reason)
    if not summary:  # nothing of the draft's own: the best sentences not used yet
        summary = [extra for _, extra in zip(range(3), spares, strict=False)]
    if not summary:  # a thin story, every usable sentence a key point: told once more
        summary = list(key_points)
    if not key_points or not summary:
        raise EmptySummary(f"story {story.story_id} has no sentence that passes the gate")

    headline = draft.headline
    if not (headline_verdict := gate.check(headline)).grounded or not headline.strip():
        headline = material.headline()
        report.count("headline", "repaired", headline_verdict.reason)
    else:
        report.count("headline", "grounded")

    tags = [tag for tag in draft.tags if gate.mentions(tag)][:20]
    category = draft.category or categorise(
        (f"{a.title} {a.text}" for a in material.articles),
        (a.category_hint for a in story.articles),
    )
    summarized = StorySummarized(
        story_id=story.story_id,
        version=story.version,
        headline=headline[:300],
        key_points=tuple(key_points),
        summary=tuple(summary),
        category=category,
        tags=tuple(tags),
        sources=credits(story),
        article_count=story.article_count,
        lead_image=_lead_image(material),
        published_at=earliest_publication(story),
        summarizer=draft.writer,
    )
    return summarized, report


def credits(story: StoryUpdated) -> tuple[SourceCredit, ...]:
    """The story's articles, credited to their outlets."""
    return tuple(
        SourceCredit(
            article_id=a.article_id,
            source_name=a.source_name,
            url=a.canonical_url,
            title=a.title,
            is_copy=a.copy_of is not None,
            fetched_at=a.fetched_at,
        )
        for a in story.articles
    )


def earliest_publication(story: StoryUpdated) -> datetime:
    """When the first of its articles was published (the story's first sighting, if none
    says)."""
    return min(
        (a.published_at for a in story.articles if a.published_at), default=story.first_seen_at
    )


def _spare_key_points(material: StoryMaterial, used: set[str]) -> Iterator[GroundedText]:
    """Grounded source sentences, best first, that repeat neither each other nor the draft."""
    for sentence in material.key_points(count=len(material.sentences)):
        if sentence.text in used:
            continue
        verdict = material.gate.check(sentence.text)
        if verdict.grounded and publishable(sentence.text):
            used.add(sentence.text)
            yield grounded(sentence.text, verdict)


def grounded(text: str, verdict: Verdict) -> GroundedText:
    """A sentence the gate passed, with the articles that say it and the passage that does."""
    passage = verdict.passage
    evidence = (
        Evidence(
            article_id=passage.article_id,
            start=passage.start,
            end=passage.end,
            passage=(passage.as_written or passage.text)[:3000],
        )
        if passage
        else None
    )
    return GroundedText(text=text, article_ids=verdict.supporting, evidence=evidence)


def _plain(sentence: str) -> str:
    return " ".join(words(sentence.lower()))


def _lead_image(material: StoryMaterial) -> LeadImage | None:
    for article in material.articles:
        if article.image_url:
            return LeadImage(
                url=article.image_url, credit=article.source_name, article_id=article.article_id
            )
    return None
