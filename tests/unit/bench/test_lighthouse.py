import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from bench.lighthouse import yielding

# Stands in for Chromium: says how it was scheduled, and raises its own priority as
# Chromium does when it runs as root (its browser process at nice -8).
REPORTER = """#!{python}
import json, os, sys
try:
    os.setpriority(os.PRIO_PROCESS, 0, -8)
except PermissionError:
    pass
group = open("/proc/self/autogroup").read() if os.path.exists("/proc/self/autogroup") else ""
policy = os.sched_getscheduler(0)
print(json.dumps({{"policy": policy, "autogroup": group, "args": sys.argv[1:]}}))
"""


def test_the_browser_runs_with_what_the_pipeline_leaves_in_a_session_of_its_own(
    tmp_path: Path,
) -> None:
    browser = tmp_path / "browser"
    browser.write_text(REPORTER.format(python=sys.executable))
    browser.chmod(0o755)
    # Lighthouse's launcher starts the browser in a new session: its own scheduling group.
    ran = subprocess.run(
        [yielding(str(browser), tmp_path), "--headless=new", "about:blank"],
        capture_output=True,
        text=True,
        check=True,
        start_new_session=True,
    )
    said = json.loads(ran.stdout)
    assert said["args"] == ["--headless=new", "about:blank"]
    # An idle policy is not undone by the browser's own nice value.
    assert said["policy"] == os.SCHED_IDLE
    if not said["autogroup"]:
        pytest.skip("no scheduling groups by session here")
    assert said["autogroup"].split()[-1] == "19"
