"""One story in, one grounded summary out: backend draft, then the grounding gate."""

from __future__ import annotations

from services.summarizer.composer import GateReport, compose
from services.summarizer.draft import SummaryBackend
from services.summarizer.material import StoryMaterial
from services.summarizer.recredit import recredited
from shared.events import StorySummarized, StoryUpdated, utc_now


class Summarizer:
    def __init__(self, backend: SummaryBackend) -> None:
        self.backend = backend

    async def summarize(
        self, story: StoryUpdated, previous: StorySummarized | None = None
    ) -> tuple[StorySummarized, GateReport]:
        """The story's summary; `previous` (the summary last published for it) stands,
        credited anew, when the story gained or lost only copies."""
        if previous is not None and (summary := recredited(previous, story)) is not None:
            report = GateReport(recredited=True)
        else:
            material = StoryMaterial(story)
            summary, report = compose(material, await self.backend.draft(material))
        if story.timeline is not None:
            timeline = story.timeline.model_copy(update={"summarized_at": utc_now()})
            summary = summary.model_copy(update={"timeline": timeline})
        return summary, report
