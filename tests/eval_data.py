"""The evaluation data handed over beside the checkout (`../shared/eval`), read in place.

A test that needs it skips on a machine without it, and fails in CI
(`PRESSROOM_REQUIRE_EVAL=1`, set by `.ci/run`), where its absence would hide the checks
that matter most."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.infra import REPO

EVAL_DIR = REPO.parent / "shared" / "eval"


def eval_file(name: str) -> Path:
    return EVAL_DIR / name


def require(path: Path) -> Path:
    """`path`, which must be a file; else skip the test, or fail it where it must run."""
    if not path.is_file():
        missing = f"the eval data is not beside the checkout ({path})"
        if os.environ.get("PRESSROOM_REQUIRE_EVAL") == "1":
            pytest.fail(f"{missing}, and PRESSROOM_REQUIRE_EVAL=1 says it must be")
        pytest.skip(missing)
    return path
