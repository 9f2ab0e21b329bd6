"""Lighthouse (the npm package, driving Debian's Chromium) on a page: its four scores, as a
phone on a mobile network sees them (Lighthouse's default)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
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


class LighthouseFailed(RuntimeError):
    """Every attempt failed; the message gives Lighthouse's own words for the last."""


def scores(url: str, chromium: str = "/usr/bin/chromium", attempts: int = 3) -> dict[str, float]:
    """Each category's score (0 to 1) for `url`. A run Chromium fails (it can, on a
    saturated machine: "NO_NAVSTART", its trace of the page load broken) is made again;
    after `attempts` failures, LighthouseFailed."""
    said = ""
    for attempt in range(1, attempts + 1):
        with tempfile.TemporaryDirectory(prefix="pressroom-lighthouse-") as directory:
            report = Path(directory) / "report.json"
            run = subprocess.run(
                [
                    # Lighthouse's own analysis waits behind the pipeline. Its Chromium does
                    # not: the launcher starts it in a session of its own, which Linux
                    # schedules as a group of its own (autogroup), so, both busy, it and the
                    # pipeline's services share the CPU about equally, as if the reader's
                    # machine were half of this one. Held to what the pipeline leaves
                    # (SCHED_IDLE, or its group at nice 10), it scored 0.52-0.86 on the
                    # home page: a starved browser, not the site. (Its nice value alone does
                    # not reach it: run as root, Chromium sets its own, the browser at -8.)
                    *("nice", "-n", "19"),
                    str(lighthouse()),
                    url,
                    "--quiet",
                    "--output=json",
                    f"--output-path={report}",
                    f"--only-categories={','.join(CATEGORIES)}",
                    "--chrome-flags=--headless=new --no-sandbox --disable-gpu",
                ],
                env={**os.environ, "CHROME_PATH": chromium},
                capture_output=True,
                text=True,
                timeout=180,
            )
            if run.returncode == 0:
                categories = json.loads(report.read_text())["categories"]
                return {name: float(categories[name]["score"] or 0.0) for name in CATEGORIES}
        print(f"bench: lighthouse failed on {url} (attempt {attempt}):", file=sys.stderr)
        print(run.stderr[-2000:], file=sys.stderr)
        said = (run.stderr.strip().splitlines() or [f"exit status {run.returncode}"])[-1]
    raise LighthouseFailed(f"{attempts} attempts failed, the last: {said[:300]}")
