"""The site under wrk (32 connections), beside nginx serving the same bytes as static files:
how far each dynamic page is from the machine's static ceiling.

Each wrk request to the site names a reader of its own (a browser User-Agent with a
number), so every request is a view the site counts; the flood of unknown addresses names
a new one each time. Uncached renders are timed in process, on the same database."""

from __future__ import annotations

import asyncio
import os
import re
import shutil
import statistics
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote

import httpx2

from services.site.cache import PageCache
from services.site.pages import Site
from services.site.posts import PostReader
from services.site.routes import make_pages
from services.site.settings import SiteSettings
from shared.db import Database
from tests.infra import MONGO
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


UNITS_MS = {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60_000.0, "h": 3_600_000.0}


def _milliseconds(text: str) -> float:
    """A time as wrk prints it ("235.36ms", "1.20s", "2.00m") in milliseconds."""
    found = re.fullmatch(r"([\d.]+)(us|ms|s|m|h)", text)
    if found is None:
        raise ValueError(f"not a time as wrk prints one: {text!r}")
    return float(found.group(1)) * UNITS_MS[found.group(2)]


def _reported(pattern: str, output: str) -> str:
    """What `pattern`'s group finds in wrk's report; ValueError when the report has none."""
    found = re.search(pattern, output, re.MULTILINE)
    if found is None:
        raise ValueError(f"no {pattern!r} in it")
    return found.group(1)


def each_request(request: str) -> str:
    """A wrk script whose every request is made by `request` (Lua), which may use the
    thread's `id` and the request's number `n`."""
    return f"""
local threads = 0
function setup(thread) threads = threads + 1; thread:set("id", threads) end
function init(args) n = 0 end
function request()
  n = n + 1
  return {request}
end
"""


BROWSER_UA = "Mozilla/5.0 (X11; Linux x86_64) Firefox/128.0"
# Each request a reader of its own: thread id and request number in the User-Agent.
READERS_LUA = each_request(
    'wrk.format(nil, nil, {["User-Agent"] = '
    '"Mozilla/5.0 (X11; Linux x86_64; reader " .. id .. "-" .. n .. ") Firefox/128.0"})'
)
# Each request an address the site has never seen.
UNKNOWN_LUA = each_request(
    'wrk.format(nil, "/story/no-such-story-" .. id .. "-" .. n, '
    f'{{["User-Agent"] = "{BROWSER_UA}"}})'
)
WRK_SECONDS = int(os.environ.get("PRESSROOM_BENCH_WRK_SECONDS", "10"))


@dataclass(frozen=True)
class WrkRun:
    result: WrkResult
    requests: int  # completed, as wrk counts them


def wrk(
    server: str,
    url: str,
    page_bytes: int,
    connections: int = 32,
    script: str | None = None,
    errors_expected: bool = False,
) -> WrkRun:
    with tempfile.NamedTemporaryFile("w", suffix=".lua") as lua:
        lua.write(script or "")
        lua.flush()
        output = subprocess.run(
            [
                "wrk",
                "-t2",
                f"-c{connections}",
                f"-d{WRK_SECONDS}s",
                "--latency",
                *(["-s", lua.name] if script else []),
                url,
            ],
            capture_output=True,
            text=True,
            check=True,
        ).stdout
    if "Non-2xx" in output and not errors_expected:
        raise RuntimeError(f"wrk saw errors from {server}:\n{output}")
    rate, p99, requests = read_report(server, output)
    return WrkRun(WrkResult(server, rate, p99, page_bytes), requests)


def read_report(server: str, output: str) -> tuple[float, float, int]:
    """Requests a second, p99 in milliseconds and requests completed, from wrk's report
    (run with --latency); RuntimeError, with the report, when it cannot be read."""
    try:
        rate = float(_reported(r"Requests/sec:\s+([\d.]+)", output))
        # The latency distribution's own line: the stdev share above can end in "99%" too.
        p99 = _milliseconds(_reported(r"^\s*99%\s+(\S+)\s*$", output))
        requests = int(_reported(r"(\d+) requests in", output))
    except ValueError as error:
        raise RuntimeError(
            f"wrk's report for {server} not understood ({error}):\n{output}"
        ) from None
    return rate, p99, requests


@dataclass(frozen=True)
class PageLoad:
    page: str
    site: WrkResult
    nginx: WrkResult
    requests: int  # the site's completed requests, each a view of its own

    @property
    def ratio(self) -> float:
        return self.site.requests_per_second / self.nginx.requests_per_second


BROWSER = {"user-agent": BROWSER_UA}


def _serving_static(bodies: dict[str, bytes]) -> tuple[subprocess.Popen[bytes], str, Path]:
    root = Path(tempfile.mkdtemp(prefix="pressroom-nginx-"))
    root.chmod(0o755)  # nginx workers run as another user
    (root / "www").mkdir()
    (root / "tmp").mkdir()
    for name, body in bodies.items():
        (root / "www" / f"{name}.html").write_bytes(body)
    port = free_port()
    (root / "nginx.conf").write_text(NGINX_CONF.format(root=root, port=port))
    nginx = subprocess.Popen(
        ["nginx", "-c", str(root / "nginx.conf"), "-p", str(root)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"
    for _ in range(100):
        try:
            httpx2.get(f"{base}/{next(iter(bodies))}.html", timeout=1).raise_for_status()
            break
        except httpx2.HTTPError:
            time.sleep(0.05)
    return nginx, base, root


def pages_against_nginx(pages: dict[str, str]) -> list[PageLoad]:
    """Each page (name -> URL) under wrk as readers load it, then nginx serving its bytes."""
    bodies = {
        name: httpx2.get(url, headers=BROWSER, timeout=30).raise_for_status().content
        for name, url in pages.items()
    }
    nginx, base, root = _serving_static(bodies)
    try:
        loads = []
        for name, url in pages.items():
            site = wrk("site", url, len(bodies[name]), script=READERS_LUA)
            static = wrk("nginx (same bytes)", f"{base}/{name}.html", len(bodies[name]))
            loads.append(PageLoad(name, site.result, static.result, site.requests))
        return loads
    finally:
        nginx.terminate()
        nginx.wait(timeout=10)
        shutil.rmtree(root, ignore_errors=True)


def unknown_addresses(site_url: str) -> WrkResult:
    """A flood of addresses that name no story, each new: each a 404 rendered and cached."""
    run = wrk("site, unknown slugs", f"{site_url}/", 0, script=UNKNOWN_LUA, errors_expected=True)
    return run.result


async def uncached_render_ms(
    database: str, paths: dict[str, str], samples: int = 20
) -> dict[str, Any]:
    """Median and p95 of rendering each page with nothing cached, in process."""
    settings = SiteSettings(mongo_url=MONGO, mongo_database=database)
    db = Database.from_settings(settings)
    site = Site(PostReader(db, settings.page_size), PageCache(0), settings)
    transport = httpx2.ASGITransport(app=make_pages(site))
    figures: dict[str, Any] = {}
    try:
        async with httpx2.AsyncClient(
            transport=transport, base_url="http://bench", headers=BROWSER
        ) as client:
            for name, path in paths.items():
                took = []
                for n in range(samples + 3):
                    started = time.perf_counter()
                    (await client.get(path)).raise_for_status()
                    if n >= 3:  # the first few warm the connection pool
                        took.append((time.perf_counter() - started) * 1000)
                took.sort()
                figures[name] = {
                    "median": round(statistics.median(took), 2),
                    "p95": round(took[int(0.95 * (len(took) - 1))], 2),
                }
    finally:
        await db.close()
    return figures


def rss_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def search_path(headline: str) -> str:
    """A search for the headline's longest word, percent-encoded: wrk refuses an address
    with a raw non-ASCII character (a curly quote, an accent)."""
    word = max(re.findall(r"\w+", headline), key=len).lower()
    return f"/search?q={quote(word)}"


async def site_when_idle(site_url: str, site_pid: int, database: Database) -> dict[str, Any]:
    """The site with the backfill's posts and the pipeline idle: four pages beside nginx,
    the views they made, a flood of unknown addresses, and each page rendered uncached."""
    posts = database.collection("posts")
    story = await posts.find_one({}, {"slug": 1, "category": 1, "headline": 1, "views": 1})
    assert story is not None, "the backfill left no post"
    paths = {
        "story": f"/story/{story['slug']}",
        "home": "/",
        "category": f"/category/{story['category'].lower()}",
        "search": search_path(story["headline"]),
    }
    views_before = story.get("views", 0)
    loads = await asyncio.to_thread(
        pages_against_nginx, {name: f"{site_url}{path}" for name, path in paths.items()}
    )
    await asyncio.sleep(SiteSettings().views_flush_seconds + 2)  # one flush and a margin
    after = await posts.find_one({"_id": story["_id"]}, {"views": 1})
    views = (after or {}).get("views", 0) - views_before
    rss_before = rss_mib(site_pid)
    flood = await asyncio.to_thread(unknown_addresses, site_url)
    return {
        "posts": await posts.count_documents({}),
        "pages": {
            load.page: {
                "site": {
                    "requests_per_second": round(load.site.requests_per_second),
                    "p99_ms": round(load.site.p99_ms, 2),
                    "page_bytes": load.site.page_bytes,
                },
                "nginx": {
                    "requests_per_second": round(load.nginx.requests_per_second),
                    "p99_ms": round(load.nginx.p99_ms, 2),
                },
                "ratio": round(load.ratio, 4),
            }
            for load in loads
        },
        # wrk's requests to the story page, each a reader of its own, plus the one that
        # fetched its bytes for nginx; the site counted `views` of them.
        "story_views": {"requests": loads[0].requests + 1, "counted": views},
        "unknown_addresses": {
            "requests_per_second": round(flood.requests_per_second),
            "p99_ms": round(flood.p99_ms, 2),
            "site_rss_mib_before": round(rss_before, 1),
            "site_rss_mib_after": round(rss_mib(site_pid), 1),
        },
        "uncached_render_ms": await uncached_render_ms(database.db.name, paths),
    }
