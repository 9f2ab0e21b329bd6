"""The `pressroom` command itself."""

from __future__ import annotations

import tomllib

from typer.testing import CliRunner

from services.cli import app
from tests.infra import REPO


def test_pressroom_version_says_the_version_in_pyproject():
    version = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]["version"]
    result = CliRunner().invoke(app, ["--version"])
    assert result.exit_code == 0
    assert result.output.strip() == f"pressroom {version}"
