"""Lighthouse (the npm package, driving Debian's Chromium) on a page: its four scores, as a
phone on a mobile network sees them (Lighthouse's default)."""

from __future__ import annotations

import json
import os
import subprocess
import tempfile
from pathlib import Path

LIGHTHOUSE_VERSION = "12.8.2"  # 13 needs Node 22; the machine has Node 20
CATEGORIES = ("performance", "accessibility", "best-practices", "seo")
CACHE = Path(os.environ.get("PRESSROOM_CACHE", Path.home() / ".cache" / "pressroom"))


def lighthouse() -> Path:
    """The Lighthouse command, installed from npm once into the cache."""
    home = CACHE / f"lighthouse-{LIGHTHOUSE_VERSION}"
    command = home / "node_modules" / ".bin" / "lighthouse"
    if not command.exists():
        home.mkdir(parents=True, exist_ok=True)
        subprocess.run(
            ["npm", "install", "--no-audit", "--no-fund", f"lighthouse@{LIGHTHOUSE_VERSION}"],
            cwd=home,
            check=True,
            capture_output=True,
        )
    return command


def scores(url: str, chromium: str = "/usr/bin/chromium") -> dict[str, float]:
    """Each category's score (0 to 1) for `url`."""
    with tempfile.TemporaryDirectory(prefix="pressroom-lighthouse-") as directory:
        report = Path(directory) / "report.json"
        subprocess.run(
            [
                str(lighthouse()),
                url,
                "--quiet",
                "--output=json",
                f"--output-path={report}",
                f"--only-categories={','.join(CATEGORIES)}",
                "--chrome-flags=--headless=new --no-sandbox --disable-gpu",
            ],
            env={**os.environ, "CHROME_PATH": chromium},
            check=True,
            capture_output=True,
            timeout=180,
        )
        categories = json.loads(report.read_text())["categories"]
    return {name: float(categories[name]["score"] or 0.0) for name in CATEGORIES}
