"""A story that gained or lost only copies keeps its summary, credited anew.

A syndicated copy says what its original says, and the summary is written from the
originals alone (`StoryMaterial`): with the same originals, the same sentences would be
drafted and checked again. So the previous summary stands, its sources, article count and
dates those of the new version; each sentence keeps citing the articles that support it
(a copy that left the story is no longer cited). In a backfill, or a wire story reprinted
by dozens of outlets, most updates are copies: this spares the summary's cost for each.
"""

from __future__ import annotations

from services.summarizer.composer import credits, earliest_publication
from shared.events import GroundedText, StorySummarized, StoryUpdated


def recredited(previous: StorySummarized, story: StoryUpdated) -> StorySummarized | None:
    """`previous` as the summary of `story`, when their original reports are the same; None
    when the story needs summarising again."""
    originals = {a.article_id for a in story.articles if a.copy_of is None}
    if not originals or originals != {s.article_id for s in previous.sources if not s.is_copy}:
        return None
    present = {a.article_id for a in story.articles}
    key_points = _still_cited(previous.key_points, present)
    summary = _still_cited(previous.summary, present)
    if key_points is None or summary is None:
        return None
    lead = previous.lead_image
    return StorySummarized.model_validate(
        {
            **previous.model_dump(exclude={"event_id", "occurred_at", "timeline"}),
            "version": story.version,
            "key_points": key_points,
            "summary": summary,
            "sources": credits(story),
            "article_count": story.article_count,
            "published_at": earliest_publication(story),
            "lead_image": lead if lead is not None and lead.article_id in present else None,
        }
    )


def _still_cited(
    texts: tuple[GroundedText, ...], present: set[str]
) -> tuple[GroundedText, ...] | None:
    """Each sentence citing only the articles still in the story; None when one would cite
    none, or its passage's article left."""
    kept = []
    for text in texts:
        cited = tuple(a for a in text.article_ids if a in present)
        if not cited or (text.evidence is not None and text.evidence.article_id not in present):
            return None
        kept.append(text.model_copy(update={"article_ids": cited}))
    return tuple(kept)
