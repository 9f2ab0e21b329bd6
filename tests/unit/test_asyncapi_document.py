"""docs/asyncapi.yaml is what the code says: regenerate it with `make docs`."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import yaml

from shared.topics import ARTICLES_RAW, STORIES_UPDATED

REPO = Path(__file__).resolve().parents[2]


def test_the_committed_asyncapi_document_matches_the_code(tmp_path: Path):
    generated = tmp_path / "asyncapi.yaml"
    faststream = Path(sys.executable).parent / "faststream"
    subprocess.run(
        [
            str(faststream),
            "docs",
            "gen",
            "--factory",
            "services.asyncapi:build",
            "--yaml",
            "--out",
            str(generated),
        ],
        cwd=REPO,
        check=True,
        capture_output=True,
    )
    committed = (REPO / "docs" / "asyncapi.yaml").read_text()
    # Compared as data: FastStream may list one service's two subscribers in either order.
    assert yaml.safe_load(generated.read_text()) == yaml.safe_load(committed), (
        "docs/asyncapi.yaml is stale: run `make docs`"
    )
    for topic in (ARTICLES_RAW, STORIES_UPDATED):
        assert f"{topic}:" in committed
