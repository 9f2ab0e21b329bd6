"""`make dev`: every service as its own process on this machine, until Ctrl-C.

Each runs as `pressroom serve NAME` with its HTTP port set, its log in var/log/NAME.log.
On Ctrl-C (or SIGTERM) each gets SIGTERM and a graceful stop.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
LOGS = REPO / "var" / "log"

# (service, HTTP port): the site on 8080, the others' /metrics and /health on 8001+.
PORTS = {"fetcher": 8001, "deduplicator": 8002, "summarizer": 8003, "publisher": 8004, "site": 8080}


def available_services() -> list[str]:
    here = Path(__file__).resolve().parent
    return [name for name in PORTS if (here / name / "app.py").is_file()]


def main() -> int:
    LOGS.mkdir(parents=True, exist_ok=True)
    processes: dict[str, subprocess.Popen[bytes]] = {}
    for name in available_services():
        env = {**os.environ, "PRESSROOM_HTTP_PORT": str(PORTS[name])}
        log = (LOGS / f"{name}.log").open("ab")
        processes[name] = subprocess.Popen(
            [sys.executable, "-m", "services.cli", "serve", name], env=env, stdout=log, stderr=log
        )
        print(f"dev: {name:13} http://127.0.0.1:{PORTS[name]}  log: var/log/{name}.log")
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
