"""A local news server for demos and tests: real articles from a JSONL file (such as
../shared/eval/clustering-dev.jsonl), served as one RSS feed per outlet plus an HTML page
per article, released over time as a live site would publish them.

Nothing is copied into the repository: the file is read at start.
"""

from __future__ import annotations

import bisect
import hashlib
import html
import json
import re
import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from email.utils import format_datetime
from pathlib import Path
from xml.sax.saxutils import escape

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import BaseRoute, Route

from services.fetcher.sources import source_id_for
from shared.times import as_utc

DEFAULT_DATA = (
    Path(__file__).resolve().parents[2].parent / "shared" / "eval" / "clustering-dev.jsonl"
)


@dataclass(frozen=True)
class DemoArticle:
    id: str
    outlet: str
    title: str
    text: str
    published: datetime

    @property
    def slug(self) -> str:
        # The id, readable, and a hash of the article: ids in a data file can repeat.
        digest = hashlib.sha1(f"{self.id}|{self.outlet}|{self.title}".encode()).hexdigest()[:8]
        return re.sub(r"[^a-z0-9]+", "-", self.id.lower()).strip("-") + "-" + digest


def read_articles(path: Path, limit: int | None = None) -> list[DemoArticle]:
    articles = []
    with path.open(encoding="utf-8") as lines:
        for line in lines:
            if not line.strip():
                continue
            row = json.loads(line)
            published = datetime.fromisoformat(str(row["published"]).replace("Z", "+00:00"))
            articles.append(
                DemoArticle(
                    id=str(row["id"]),
                    outlet=str(row["source"]),
                    title=str(row["title"]),
                    text=str(row.get("text") or ""),
                    published=as_utc(published),
                )
            )
    articles.sort(key=lambda a: (a.published, a.id))
    return articles[:limit] if limit else articles


class NewsServer:
    """Serves `articles`, releasing the first `initial` at once and then `per_second` more
    each second (0: all at once)."""

    def __init__(
        self,
        articles: Sequence[DemoArticle],
        *,
        per_second: float = 0.0,
        initial: int | None = None,
        hub_url: str | None = None,
    ) -> None:
        self.articles = list(articles)
        self.hub_url = hub_url  # a WebSub hub the feeds name
        self.per_second = per_second
        if initial is None:
            initial = 0 if per_second else len(self.articles)
        self.initial = initial
        self.started = time.monotonic()
        self.position = {a.slug: n for n, a in enumerate(self.articles)}
        self.outlets = sorted({a.outlet for a in self.articles})
        # Worked out once: a poll of one feed should not read every article (the bench
        # polls a hundred feeds every few seconds on the machine it measures).
        self.outlet_of_feed = {source_id_for(o): o for o in self.outlets}
        self.positions_of_outlet: dict[str, list[int]] = {o: [] for o in self.outlets}
        for n, article in enumerate(self.articles):
            self.positions_of_outlet[article.outlet].append(n)

    def released_count(self) -> int:
        extra = int((time.monotonic() - self.started) * self.per_second) if self.per_second else 0
        return min(len(self.articles), self.initial + extra)

    def released(self) -> list[DemoArticle]:
        return self.articles[: self.released_count()]

    def release_all(self) -> None:
        self.initial = len(self.articles)

    def routes(self) -> list[BaseRoute]:
        return [
            Route("/robots.txt", self.robots),
            Route("/feeds/{outlet}.xml", self.feed),
            Route("/articles/{slug}", self.page),
            Route("/archive.jsonl", self.archive),
        ]

    def app(self, extra_routes: Sequence[BaseRoute] = ()) -> Starlette:
        return Starlette(routes=[*self.routes(), *extra_routes])

    def sources_yaml(self, base_url: str, poll_seconds: float = 10) -> str:
        lines = ["# Demo sources: the local news server (pressroom demo-feeds).", "sources:"]
        for outlet in self.outlets:
            lines += [
                f"- id: {source_id_for(outlet)}",
                f"  name: {json.dumps(outlet)}",
                f"  url: {base_url}/feeds/{source_id_for(outlet)}.xml",
                f"  poll_seconds: {poll_seconds}",
                "  local: true",
            ]
        return "\n".join(lines) + "\n"

    async def robots(self, request: Request) -> Response:
        return PlainTextResponse("User-agent: *\nDisallow: /private/\n")

    async def feed(self, request: Request) -> Response:
        slug = request.path_params["outlet"]
        outlet = self.outlet_of_feed.get(slug)
        if outlet is None:
            return PlainTextResponse("no such feed", 404)
        released = self.released_count()
        positions = self.positions_of_outlet[outlet]
        items = [self.articles[n] for n in positions[: bisect.bisect_left(positions, released)]]
        base = site_base(request)
        body = rss(outlet, f"{base}/feeds/{slug}.xml", base, list(reversed(items)), self.hub_url)
        etag = '"' + hashlib.sha1(body.encode()).hexdigest()[:16] + '"'
        if request.headers.get("if-none-match") == etag:
            return Response(status_code=304, headers={"etag": etag})
        return Response(
            body, media_type="application/rss+xml; charset=utf-8", headers={"etag": etag}
        )

    async def page(self, request: Request) -> Response:
        position = self.position.get(request.path_params["slug"])
        if position is None or position >= self.released_count():
            return PlainTextResponse("not found", 404)
        article = self.articles[position]
        base = site_base(request)
        return Response(article_page(article, base), media_type="text/html; charset=utf-8")

    async def archive(self, request: Request) -> Response:
        base = site_base(request)
        lines = [
            json.dumps(
                {
                    "url": f"{base}/articles/{a.slug}",
                    "title": a.title,
                    "text": a.text,
                    "source": a.outlet,
                    "published": a.published.isoformat(),
                }
            )
            for a in self.released()
        ]
        return PlainTextResponse("\n".join(lines) + "\n", media_type="application/x-ndjson")


def site_base(request: Request) -> str:
    """The server's own base URL, mount prefix included."""
    return str(request.base_url).rstrip("/") + str(request.scope.get("root_path", ""))


def rss(
    outlet: str,
    self_url: str,
    base: str,
    items: Sequence[DemoArticle],
    hub_url: str | None = None,
) -> str:
    entries = "".join(
        f"<item><title>{escape(a.title)}</title><link>{base}/articles/{a.slug}</link>"
        f"<guid>{base}/articles/{a.slug}</guid>"
        f"<pubDate>{format_datetime(a.published, usegmt=True)}</pubDate>"
        f"<description>{escape(a.text[:300])}</description></item>"
        for a in items
    )
    links = f'<atom:link rel="self" href="{escape(self_url)}"/>'
    if hub_url:
        links += f'<atom:link rel="hub" href="{escape(hub_url)}"/>'
    return (
        '<?xml version="1.0" encoding="UTF-8"?>'
        '<rss version="2.0" xmlns:atom="http://www.w3.org/2005/Atom"><channel>'
        f"<title>{escape(outlet)}</title><link>{base}/</link>{links}<description>"
        f"{escape(outlet)} (demo)</description><language>en</language>{entries}</channel></rss>"
    )


def article_page(article: DemoArticle, base: str) -> str:
    paragraphs = "".join(f"<p>{html.escape(p)}</p>" for p in article.text.split("\n") if p.strip())
    return (
        f'<!doctype html><html lang="en"><head><meta charset="utf-8">'
        f"<title>{html.escape(article.title)} | {html.escape(article.outlet)}</title>"
        f'<link rel="canonical" href="{base}/articles/{article.slug}">'
        f'<meta property="article:published_time" content="{article.published.isoformat()}">'
        f'<meta name="author" content="{html.escape(article.outlet)} staff">'
        f'</head><body><nav><a href="/">Home</a> <a href="/world">World</a></nav>'
        f"<article><h1>{html.escape(article.title)}</h1>{paragraphs}</article>"
        f"<footer>© {html.escape(article.outlet)}</footer></body></html>"
    )
