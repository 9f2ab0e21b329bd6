"""Clustering quality: pairwise precision/recall/F1 and B-cubed F1."""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass


@dataclass(frozen=True)
class ClusteringScores:
    pairwise_precision: float
    pairwise_recall: float
    pairwise_f1: float
    bcubed_precision: float
    bcubed_recall: float
    bcubed_f1: float


def _pairs(n: int) -> int:
    return n * (n - 1) // 2


def _f1(precision: float, recall: float) -> float:
    return 2 * precision * recall / (precision + recall) if precision + recall else 0.0


def score_clustering(gold: Mapping[str, str], predicted: Mapping[str, str]) -> ClusteringScores:
    """Scores of `predicted` (item -> cluster) against `gold`, over the items of `gold`."""
    items = list(gold)
    cells = Counter((gold[i], predicted[i]) for i in items)
    gold_sizes = Counter(gold[i] for i in items)
    predicted_sizes = Counter(predicted[i] for i in items)

    together = sum(_pairs(n) for n in cells.values())
    predicted_pairs = sum(_pairs(n) for n in predicted_sizes.values())
    gold_pairs = sum(_pairs(n) for n in gold_sizes.values())
    precision = together / predicted_pairs if predicted_pairs else 1.0
    recall = together / gold_pairs if gold_pairs else 1.0

    b_precision = sum(cells[(gold[i], predicted[i])] / predicted_sizes[predicted[i]] for i in items)
    b_recall = sum(cells[(gold[i], predicted[i])] / gold_sizes[gold[i]] for i in items)
    b_precision /= len(items)
    b_recall /= len(items)
    return ClusteringScores(
        precision, recall, _f1(precision, recall), b_precision, b_recall, _f1(b_precision, b_recall)
    )
