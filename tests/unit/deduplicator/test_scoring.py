import pytest

from services.deduplicator.scoring import score_clustering

GOLD = {"a": "1", "b": "1", "c": "1", "d": "2", "e": "2"}


def test_a_perfect_clustering_scores_one():
    scores = score_clustering(GOLD, {"a": "x", "b": "x", "c": "x", "d": "y", "e": "y"})
    assert scores.pairwise_f1 == 1.0
    assert scores.bcubed_f1 == 1.0


def test_singletons_have_perfect_precision_and_no_pairwise_recall():
    scores = score_clustering(GOLD, {k: k for k in GOLD})
    assert scores.pairwise_recall == 0.0
    assert scores.bcubed_precision == 1.0


def test_a_split_cluster_is_scored_by_its_pairs():
    # gold pairs: ab ac bc de = 4; predicted pairs: ab, de = 2, both right
    scores = score_clustering(GOLD, {"a": "x", "b": "x", "c": "z", "d": "y", "e": "y"})
    assert scores.pairwise_precision == 1.0
    assert scores.pairwise_recall == pytest.approx(0.5)
    assert scores.pairwise_f1 == pytest.approx(2 / 3)
