"""One story in, one grounded summary out: backend draft, then the grounding gate."""

from __future__ import annotations

from services.summarizer.composer import GateReport, compose
from services.summarizer.draft import SummaryBackend
from services.summarizer.material import StoryMaterial
from shared.events import StorySummarized, StoryUpdated, utc_now


class Summarizer:
    def __init__(self, backend: SummaryBackend) -> None:
        self.backend = backend

    async def summarize(self, story: StoryUpdated) -> tuple[StorySummarized, GateReport]:
        material = StoryMaterial(story)
        draft = await self.backend.draft(material)
        summary, report = compose(material, draft)
        if story.timeline is not None:
            timeline = story.timeline.model_copy(update={"summarized_at": utc_now()})
            summary = summary.model_copy(update={"timeline": timeline})
        return summary, report
