"""`pressroom eval summaries`: ROUGE of the extractive backend against human summaries.

Side by side in the same run, with the same scorer, sentences and length: a lead
baseline (each document's first sentence in turn, then the second, ...; boilerplate
documents skipped). Also the share of output sentences the grounding gate passes.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from rouge_score import rouge_scorer

from services.summarizer.extractive import (
    Sentence,
    lead_order,
    rank,
    select,
    story_sentences,
)
from services.summarizer.grounding import GroundingGate
from shared.jsonl import read_jsonl


@dataclass(frozen=True)
class SummaryExample:
    id: str
    documents: list[str]
    summary: str


@dataclass(frozen=True)
class SummaryScores:
    examples: int
    rouge1: float
    rouge2: float
    rougeL: float
    grounded: float
    lead_rouge1: float
    lead_rouge2: float
    lead_rougeL: float


def read_examples(path: Path) -> list[SummaryExample]:
    def build(row: dict[str, Any]) -> SummaryExample:
        documents = [str(d) for d in row["documents"]]
        return SummaryExample(str(row["id"]), documents, str(row["summary"]))

    return read_jsonl(path, build, "a summary example")


def first_words(sentences: Sequence[Sentence], count: int) -> str:
    return " ".join(" ".join(s.text for s in sentences).split()[:count])


def lead(sentences: Sequence[Sentence], words: int) -> list[Sentence]:
    picked, length = [], 0
    for sentence in lead_order(sentences):
        if length >= words:
            break
        picked.append(sentence)
        length += len(sentence.text.split())
    return picked


def evaluate(path: Path, words: int) -> SummaryScores:
    scorer = rouge_scorer.RougeScorer(["rouge1", "rouge2", "rougeL"], use_stemmer=True)
    examples = read_examples(path)
    totals = dict.fromkeys(["rouge1", "rouge2", "rougeL"], 0.0)
    lead_totals = dict(totals)
    grounded = checked = 0
    for example in examples:
        sentences = story_sentences(example.documents)
        picked = lead_order(select(sentences, rank(sentences), words))
        ours = scorer.score(example.summary, first_words(picked, words))
        theirs = scorer.score(example.summary, first_words(lead(sentences, words), words))
        for metric in totals:
            totals[metric] += ours[metric].fmeasure
            lead_totals[metric] += theirs[metric].fmeasure
        gate = GroundingGate({str(i): d for i, d in enumerate(example.documents)})
        grounded += sum(gate.check(s.text).grounded for s in picked)
        checked += len(picked)
    n = max(1, len(examples))
    return SummaryScores(
        examples=len(examples),
        rouge1=100 * totals["rouge1"] / n,
        rouge2=100 * totals["rouge2"] / n,
        rougeL=100 * totals["rougeL"] / n,
        grounded=grounded / checked if checked else 1.0,
        lead_rouge1=100 * lead_totals["rouge1"] / n,
        lead_rouge2=100 * lead_totals["rouge2"] / n,
        lead_rougeL=100 * lead_totals["rougeL"] / n,
    )
