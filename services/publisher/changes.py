"""What changed between two versions of a post, in words a reader understands."""

from __future__ import annotations

from shared.events import StorySummarized
from shared.posts import Post


def describe_changes(previous: Post, summary: StorySummarized) -> tuple[str, ...]:
    """Short notes such as "2 new sources: Nordic Daily, Coast Times"."""
    notes = []
    known = {source.article_id for source in previous.sources}
    added = [s.source_name for s in summary.sources if s.article_id not in known]
    if added:
        noun = "source" if len(added) == 1 else "sources"
        notes.append(f"{len(added)} new {noun}: {', '.join(added)}")
    if previous.headline != summary.headline:
        notes.append("headline updated")
    if [p.text for p in previous.key_points] != [p.text for p in summary.key_points]:
        notes.append("key points revised")
    if [p.text for p in previous.summary] != [p.text for p in summary.summary]:
        notes.append("summary revised")
    return tuple(notes) or ("details revised",)
