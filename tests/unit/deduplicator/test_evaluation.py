"""`pressroom eval clustering`: the report it prints, and the figures on the dev data."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from services.cli import app
from services.deduplicator.evaluation import evaluate
from tests.eval_data import eval_file, require
from tests.factories import write_labelled

DEV = eval_file("clustering-dev.jsonl")


def test_the_report_names_the_order_and_ends_with_one_json_line(tmp_path: Path):
    rows = [
        ("a1", "a", "Senate passes infrastructure bill", "The Senate passed the bill.", "A"),
        ("a2", "a", "Senate approves infrastructure bill", "Senators approved the bill.", "B"),
        ("b1", "b", "Storm floods Louisiana", "Hurricane Ida flooded towns.", "A"),
    ]
    path = write_labelled(tmp_path / "labelled.jsonl", rows)

    result = CliRunner().invoke(app, ["eval", "clustering", str(path), "--shuffle", "7"])

    assert result.exit_code == 0, result.output
    lines = result.output.strip().splitlines()
    assert lines[0] == "articles replayed shuffled (seed 7); similarity TF-IDF"
    assert lines[1].startswith("pairwise  precision")
    assert set(json.loads(lines[-1])) >= {"pairwise_f1", "bcubed_f1", "exact_duplicates", "copies"}


def test_duplicates_and_copies_are_decided_as_the_service_does_and_scored_with_the_original(
    tmp_path: Path,
):
    text = (
        "The Senate passed the infrastructure bill on Tuesday by 69 votes to 30, sending the "
        "package of roads, bridges and broadband spending to the House for a final vote."
    )
    rows = [
        ("a1", "a", "Senate passes infrastructure bill", text, "A"),
        ("a2", "a", "SENATE passes infrastructure bill!", text.upper(), "B"),  # the same text
        ("a3", "a", "Senate passes the infrastructure bill", f"{text} Reuters reported.", "C"),
        ("b1", "b", "Storm floods Louisiana", "Hurricane Ida flooded towns in Louisiana.", "A"),
    ]
    scores = evaluate(write_labelled(tmp_path / "labelled.jsonl", rows))
    assert (scores.exact_duplicates, scores.copies) == (1, 1)
    assert scores.pairwise_f1 == 1.0


SCRIPTS = Path(__file__).resolve().parents[2] / "data" / "clustering-scripts.jsonl"


def test_news_in_eleven_scripts_is_told_apart_and_none_is_taken_for_a_duplicate():
    """Russian, Chinese, Japanese, Arabic, Hindi, Greek and Korean stories (texts written
    for this test): two events each in Russian, Chinese, Japanese and Arabic."""
    by_published = evaluate(SCRIPTS)
    assert by_published.exact_duplicates == 0
    assert by_published.copies == 0
    assert by_published.pairwise_f1 >= 0.90
    for seed in (1, 2, 3):
        assert evaluate(SCRIPTS, seed).pairwise_f1 >= 0.90


def test_on_the_dev_data_pairwise_f1_is_at_least_080_in_arrival_order_and_shuffled():
    by_published = evaluate(require(DEV)).pairwise_f1
    assert by_published >= 0.80
    for seed in (1, 2, 3):
        assert abs(evaluate(DEV, seed).pairwise_f1 - by_published) <= 0.02
