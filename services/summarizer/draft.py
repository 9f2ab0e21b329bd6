"""What a summarising backend writes, before the grounding gate checks it."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol

from services.summarizer.material import StoryMaterial
from shared.events import Category


@dataclass(frozen=True)
class Draft:
    headline: str
    key_points: tuple[str, ...]
    summary: tuple[str, ...]  # sentence by sentence
    category: Category | None = None
    tags: tuple[str, ...] = ()
    writer: str = "extractive"
    notes: tuple[str, ...] = field(default=())  # why a backend fell back, for the log


class SummaryBackend(Protocol):
    name: str

    async def draft(self, material: StoryMaterial) -> Draft: ...


class ExtractiveBackend:
    """Sentences of the sources themselves, picked and ordered; no model, no key."""

    name = "extractive"

    def __init__(self, summary_words: int, limit_words: int = 250) -> None:
        self.summary_words = summary_words
        self.limit_words = limit_words

    def write(self, material: StoryMaterial) -> Draft:
        key_points = tuple(s.text for s in material.key_points())
        # The summary tells what the key points do not, where the sources have enough.
        summary = material.summary(self.summary_words, self.limit_words, frozenset(key_points))
        return Draft(
            headline=material.headline(),
            key_points=key_points,
            summary=tuple(s.text for s in summary),
            tags=tuple(material.tags()),
        )

    async def draft(self, material: StoryMaterial) -> Draft:
        return self.write(material)
