"""`make dev`: every service as its own process on this machine, until Ctrl-C.

Each runs as `pressroom serve NAME` with its HTTP port set, its log in var/log/NAME.log.
On Ctrl-C (or SIGTERM) each gets SIGTERM and a graceful stop.

`--demo` (`make demo`) also starts the local news server (`pressroom demo-feeds`), which
releases real articles from ../shared/eval over time, and points the fetcher at it.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from services.registry import SERVICES

REPO = Path(__file__).resolve().parent.parent
LOGS = REPO / "var" / "log"


DEMO_PORT = 8090
DEMO_SOURCES = REPO / "var" / "demo-sources.yaml"


def start_demo_feeds() -> subprocess.Popen[bytes]:
    """The local news server; returns once it wrote the sources file for its feeds."""
    DEMO_SOURCES.unlink(missing_ok=True)
    log = (LOGS / "demo-feeds.log").open("ab")
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "services.cli",
            "demo-feeds",
            "--port",
            str(DEMO_PORT),
            "--sources-out",
            str(DEMO_SOURCES),
        ],
        stdout=log,
        stderr=log,
    )
    for _ in range(300):
        if DEMO_SOURCES.is_file() or process.poll() is not None:
            break
        time.sleep(0.1)
    if process.poll() is not None:
        raise SystemExit("dev: the demo news server did not start; see var/log/demo-feeds.log")
    print(f"dev: demo-feeds    http://127.0.0.1:{DEMO_PORT}  log: var/log/demo-feeds.log")
    return process


def main() -> int:
    LOGS.mkdir(parents=True, exist_ok=True)
    processes: dict[str, subprocess.Popen[bytes]] = {}
    extra_env: dict[str, str] = {}
    if "--demo" in sys.argv[1:]:
        processes["demo-feeds"] = start_demo_feeds()
        extra_env["PRESSROOM_SOURCES_FILE"] = str(DEMO_SOURCES)
    for name, service in SERVICES.items():
        # Each on its settings' default port: the site on 8080, the others' /metrics and
        # /health on 8001 and up.
        port = service.dev_port
        env = {**os.environ, **extra_env, "PRESSROOM_HTTP_PORT": str(port)}
        log = (LOGS / f"{name}.log").open("ab")
        processes[name] = subprocess.Popen(
            [sys.executable, "-m", "services.cli", "serve", name], env=env, stdout=log, stderr=log
        )
        print(f"dev: {name:13} http://127.0.0.1:{port}  log: var/log/{name}.log")
    if "site" in processes:
        print("dev: the site is at http://127.0.0.1:8080 — Ctrl-C stops everything")

    stopping = False

    def stop(*_: object) -> None:
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGINT, stop)
    signal.signal(signal.SIGTERM, stop)
    while not stopping:
        for name, process in processes.items():
            if process.poll() is not None:
                print(f"dev: {name} exited with {process.returncode}; see var/log/{name}.log")
                stopping = True
        time.sleep(0.5)

    for process in processes.values():
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
    for process in processes.values():
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
