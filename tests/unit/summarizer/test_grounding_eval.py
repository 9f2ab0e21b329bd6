"""`pressroom eval grounding`: its report, and the gate's figures on the dev data."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from services.cli import app
from services.summarizer.grounding_eval import evaluate
from tests.eval_data import eval_file, require

DEV = eval_file("grounding-dev.jsonl")

SOURCE = (
    "The council approved the new bridge on Tuesday. It will cost 12 million euros. "
    "Mayor Anna Berg said the work would not start before May."
)


def test_the_report_has_a_line_per_kind_and_ends_with_one_json_line(tmp_path: Path):
    claims = [
        ("The council approved the new bridge on Tuesday.", "supported", "verbatim"),
        ("It will cost 12 million euros.", "supported", "verbatim"),
        ("It will cost 15 million euros.", "unsupported", "number"),
        ("Mayor Lena Holm said the work would not start before May.", "unsupported", "name"),
        ("The council did not approve the new bridge on Tuesday.", "unsupported", "negation"),
    ]
    story = {
        "id": "s1",
        "sources": [{"id": "s1-0", "text": SOURCE}],
        "claims": [{"text": t, "label": label, "kind": kind} for t, label, kind in claims],
    }
    path = tmp_path / "claims.jsonl"
    path.write_text(json.dumps(story) + "\n")

    result = CliRunner().invoke(app, ["eval", "grounding", str(path)])

    assert result.exit_code == 0, result.output
    lines = result.output.strip().splitlines()
    assert lines[0].split() == ["kind", "claims", "judged", "right"]
    assert json.loads(lines[-1]) == {
        "supported_pass": 1.0,
        "unsupported_refused": 1.0,
        "by_kind": {"name": 1.0, "negation": 1.0, "number": 1.0, "verbatim": 1.0},
    }


def test_on_the_dev_data_the_gate_passes_what_the_sources_say_and_refuses_the_rest():
    scores = evaluate(require(DEV))
    assert scores.supported_pass >= 0.97
    assert scores.unsupported_refused >= 0.95
    for kind in ("number", "name", "initial-name", "negation", "foreign"):
        assert scores.by_kind[kind] >= 0.90, kind
