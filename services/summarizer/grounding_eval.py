"""`pressroom eval grounding`: the summarizer's gate on labelled claims.

Each line of the file is a story (its sources' texts) and claims made from them, labelled
supported or unsupported with the kind of change that made them (see ../shared/eval/
README.md). Every claim goes through the gate the summarizer uses, against its story's
sources; the score is the share judged right, overall and per kind.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from services.summarizer.grounding import GroundingGate
from shared.jsonl import read_jsonl


@dataclass(frozen=True)
class Claim:
    text: str
    supported: bool
    kind: str


@dataclass(frozen=True)
class LabelledStory:
    id: str
    sources: dict[str, str]
    claims: tuple[Claim, ...]


def read_stories(path: Path) -> list[LabelledStory]:
    def build(row: dict[str, Any]) -> LabelledStory:
        return LabelledStory(
            id=str(row["id"]),
            sources={str(s["id"]): str(s["text"]) for s in row["sources"]},
            claims=tuple(
                Claim(str(c["text"]), c["label"] == "supported", str(c["kind"]))
                for c in row["claims"]
            ),
        )

    return read_jsonl(path, build, "a story with labelled claims")


@dataclass(frozen=True)
class GroundingScores:
    supported_pass: float
    unsupported_refused: float
    by_kind: dict[str, float]  # kind -> share judged right
    claims_by_kind: dict[str, int]
    refusals_by_reason: dict[str, int]


def evaluate(path: Path) -> GroundingScores:
    right: Counter[str] = Counter()
    total: Counter[str] = Counter()
    reasons: Counter[str] = Counter()
    by_label: Counter[tuple[bool, bool]] = Counter()  # (supported, judged right)
    for story in read_stories(path):
        gate = GroundingGate(story.sources)
        for claim in story.claims:
            verdict = gate.check(claim.text)
            judged_right = verdict.grounded == claim.supported
            total[claim.kind] += 1
            right[claim.kind] += judged_right
            by_label[(claim.supported, judged_right)] += 1
            if not verdict.grounded and verdict.reason:
                reasons[verdict.reason] += 1

    def share(supported: bool) -> float:
        n = by_label[(supported, True)] + by_label[(supported, False)]
        return by_label[(supported, True)] / n if n else 1.0

    return GroundingScores(
        supported_pass=share(True),
        unsupported_refused=share(False),
        by_kind={kind: right[kind] / total[kind] for kind in sorted(total)},
        claims_by_kind=dict(sorted(total.items())),
        refusals_by_reason=dict(sorted(reasons.items())),
    )
