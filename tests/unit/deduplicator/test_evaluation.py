"""`pressroom eval clustering`: the report it prints, and the figures on the dev data."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from services.cli import app
from services.deduplicator.evaluation import evaluate
from tests.factories import write_labelled

DEV = Path(__file__).resolve().parents[3].parent / "shared" / "eval" / "clustering-dev.jsonl"
needs_dev_data = pytest.mark.skipif(not DEV.is_file(), reason=f"{DEV} is not here")


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
    assert set(json.loads(lines[-1])) >= {"pairwise_f1", "bcubed_f1"}


@needs_dev_data
def test_on_the_dev_data_pairwise_f1_is_at_least_080_in_arrival_order_and_shuffled():
    by_published = evaluate(DEV).pairwise_f1
    assert by_published >= 0.80
    for seed in (1, 2, 3):
        assert abs(evaluate(DEV, seed).pairwise_f1 - by_published) <= 0.02
