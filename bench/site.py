"""The site's story page under wrk (32 connections), beside nginx serving the same bytes
as a static file: how far the dynamic page is from the machine's static ceiling."""

from __future__ import annotations

import re
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import httpx2

from tests.processes import free_port

NGINX_CONF = """
daemon off;
worker_processes 2;
pid {root}/nginx.pid;
error_log {root}/error.log;
events {{ worker_connections 1024; }}
http {{
  access_log off;
  client_body_temp_path {root}/tmp;
  proxy_temp_path {root}/tmp;
  fastcgi_temp_path {root}/tmp;
  uwsgi_temp_path {root}/tmp;
  scgi_temp_path {root}/tmp;
  server {{
    listen 127.0.0.1:{port};
    root {root}/www;
    location / {{ default_type text/html; }}
  }}
}}
"""


@dataclass(frozen=True)
class WrkResult:
    server: str
    requests_per_second: float
    p99_ms: float
    page_bytes: int


def _milliseconds(text: str) -> float:
    value, unit = re.fullmatch(r"([\d.]+)(us|ms|s)", text).groups()  # type: ignore[union-attr]
    return float(value) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[unit]


def wrk(server: str, url: str, page_bytes: int, seconds: int, connections: int) -> WrkResult:
    output = subprocess.run(
        ["wrk", "-t2", f"-c{connections}", f"-d{seconds}s", "--latency", url],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    rate = float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1))  # type: ignore[union-attr]
    p99 = _milliseconds(re.search(r"99%\s+(\S+)", output).group(1))  # type: ignore[union-attr]
    if "Non-2xx" in output:
        raise RuntimeError(f"wrk saw errors from {server}:\n{output}")
    return WrkResult(server, rate, p99, page_bytes)


def site_against_nginx(
    page_url: str, seconds: int = 10, connections: int = 32
) -> tuple[WrkResult, WrkResult]:
    body = httpx2.get(page_url, timeout=10).raise_for_status().content
    with tempfile.TemporaryDirectory(prefix="pressroom-nginx-") as directory:
        root = Path(directory)
        root.chmod(0o755)  # nginx workers run as another user
        (root / "www").mkdir()
        (root / "tmp").mkdir()
        (root / "www" / "story.html").write_bytes(body)
        port = free_port()
        (root / "nginx.conf").write_text(NGINX_CONF.format(root=root, port=port))
        nginx = subprocess.Popen(
            ["nginx", "-c", str(root / "nginx.conf"), "-p", str(root)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.STDOUT,
        )
        try:
            static_url = f"http://127.0.0.1:{port}/story.html"
            for _ in range(100):
                try:
                    httpx2.get(static_url, timeout=1).raise_for_status()
                    break
                except httpx2.HTTPError:
                    time.sleep(0.05)
            site = wrk("site", page_url, len(body), seconds, connections)
            static = wrk("nginx (same bytes)", static_url, len(body), seconds, connections)
        finally:
            nginx.terminate()
            nginx.wait(timeout=10)
    return site, static
