"""Feeds to entries: RSS 0.9x/1.0/2.0 and Atom (feedparser), JSON Feed, and JSONL archives."""

from __future__ import annotations

import calendar
import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, NamedTuple
from urllib.parse import urlsplit
from xml.sax import SAXException

import feedparser
import lxml.html
from lxml.etree import ParserError

from shared.times import as_utc

MAX_ENTRIES = 500


class MalformedFeed(ValueError):
    """The body is not a feed of any kind the fetcher reads."""


@dataclass(frozen=True)
class FeedEntry:
    url: str
    title: str
    text: str = ""  # the feed's own content or summary, as plain text
    published_at: datetime | None = None
    authors: tuple[str, ...] = ()
    image_url: str | None = None
    language: str | None = None
    extra: dict[str, Any] = field(default_factory=dict, compare=False)


class ParsedFeed(NamedTuple):
    """A feed's entries, and a reason for each item that could not be one (no link or
    title, malformed, or past the MAX_ENTRIES read of a feed): counted, never dropped
    unseen."""

    entries: list[FeedEntry]
    skipped: list[str]
    recovered: str | None = None  # what broke the XML the entries were read around
    hub: str | None = None  # the WebSub hub the feed names (rel="hub"), if any
    self_url: str | None = None  # the feed's own address (rel="self"): its WebSub topic


def html_to_text(markup: str) -> str:
    """Plain text of an HTML fragment, broken HTML included; paragraphs kept apart."""
    if "<" not in markup:
        return " ".join(markup.split())
    try:
        root = lxml.html.fromstring(markup)
    except (ParserError, ValueError):
        return " ".join(markup.split())
    for block in root.iter("p", "br", "div", "li", "h1", "h2", "h3"):
        block.tail = "\n\n" + (block.tail or "")
    paragraphs = (" ".join(p.split()) for p in root.text_content().split("\n\n"))
    return "\n\n".join(p for p in paragraphs if p)


def _time(value: Any) -> datetime | None:
    if not value:
        return None
    if isinstance(value, str):
        try:
            moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            return None
        return as_utc(moment)
    return datetime.fromtimestamp(calendar.timegm(value), UTC)  # feedparser's UTC struct_time


def _http(url: Any) -> str | None:
    """The URL if it is a well-formed http(s) URL with a host, else None."""
    text = str(url or "").strip()
    if not text.lower().startswith(("http://", "https://")) or len(text) > 2048:
        return None
    try:
        parts = urlsplit(text)
        _ = parts.port  # raises for a port that is not a number
    except ValueError:  # e.g. a broken IPv6 literal or port
        return None
    return text if parts.hostname else None


def parse_feed(body: bytes, content_type: str | None = None) -> ParsedFeed:
    """Entries of an RSS, Atom or JSON feed; MalformedFeed when it is none of them."""
    stripped = body.lstrip()
    if stripped.startswith(b"{") or "json" in (content_type or ""):
        return parse_json_feed(body)
    headers = {"content-type": content_type} if content_type else {}
    parsed = feedparser.parse(body, response_headers=headers)
    if not parsed.get("version") and not parsed.get("entries"):
        problem = parsed.get("bozo_exception") or "no RSS or Atom elements"
        raise MalformedFeed(f"not an RSS or Atom feed: {problem}")
    language = parsed.feed.get("language")
    entries, skipped = [], []
    for number, item in enumerate(parsed.entries[:MAX_ENTRIES], 1):
        url = _http(item.get("link")) or _http(item.get("id"))
        title = " ".join(str(item.get("title") or "").split())
        if not url or not title:
            skipped.append(f"item {number}: {_missing(url, title)}")
            continue
        content = item.get("content") or []
        markup = content[0].get("value", "") if content else item.get("summary", "")
        media = item.get("media_content") or item.get("media_thumbnail") or []
        enclosures = [e for e in item.get("enclosures", []) if "image" in e.get("type", "")]
        image = _http(media[0].get("url")) if media else None
        image = image or (_http(enclosures[0].get("href")) if enclosures else None)
        entries.append(
            FeedEntry(
                url=url,
                title=html_to_text(title),
                text=html_to_text(markup or ""),
                published_at=_time(item.get("published_parsed") or item.get("updated_parsed")),
                authors=tuple(a.get("name", "") for a in item.get("authors", []) if a.get("name")),
                image_url=image,
                language=language,
            )
        )
    problem = parsed.get("bozo_exception")
    recovered = str(problem) if isinstance(problem, SAXException) else None
    links = {link.get("rel"): _http(link.get("href")) for link in parsed.feed.get("links", [])}
    return ParsedFeed(
        entries,
        skipped + _over_cap(len(parsed.entries)),
        recovered,
        hub=links.get("hub"),
        self_url=links.get("self"),
    )


def _missing(url: str | None, title: str) -> str:
    return "no http(s) link" if not url else "no title"


def _over_cap(items: int) -> list[str]:
    """The reasons for the items past the first MAX_ENTRIES, one each."""
    return [
        f"item {n}: past the first {MAX_ENTRIES} of the feed"
        for n in range(MAX_ENTRIES + 1, items + 1)
    ]


def parse_json_feed(body: bytes) -> ParsedFeed:
    try:
        feed = json.loads(body)
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise MalformedFeed(f"not JSON: {error}") from None
    if not isinstance(feed, dict) or "jsonfeed.org" not in str(feed.get("version", "")):
        raise MalformedFeed("JSON without a jsonfeed.org version")
    items = feed.get("items")
    if not isinstance(items, list):
        raise MalformedFeed("JSON Feed without an items list")
    entries, skipped = [], []
    for number, item in enumerate(items[:MAX_ENTRIES], 1):
        try:
            entries.append(_json_feed_entry(item, feed))
        except (TypeError, ValueError, OverflowError, AttributeError) as error:
            skipped.append(f"item {number}: {error}"[:300])
    hubs = feed.get("hubs")
    hubs = hubs if isinstance(hubs, list) else []
    websub = [h.get("url") for h in hubs if isinstance(h, dict) and _is_websub(h.get("type"))]
    return ParsedFeed(
        entries,
        skipped + _over_cap(len(items)),
        hub=next(filter(None, map(_http, websub)), None),
        self_url=_http(feed.get("feed_url")),
    )


def _is_websub(kind: Any) -> bool:
    return str(kind).lower() in {"websub", "pubsubhubbub"}


def _json_feed_entry(item: Any, feed: dict[str, Any]) -> FeedEntry:
    """The entry of one JSON Feed item; an error for an item that is none (no URL or
    title) or malformed (a number where a date belongs, say)."""
    if not isinstance(item, dict):
        raise TypeError(f"an item is an object, not {type(item).__name__}")
    url = _http(item.get("url")) or _http(item.get("external_url"))
    title = " ".join(str(item.get("title") or "").split())
    if not url or not title:
        raise ValueError(_missing(url, title))
    authors = item.get("authors") or ([item["author"]] if item.get("author") else [])
    return FeedEntry(
        url=url,
        title=title,
        text=str(item.get("content_text") or "")
        or html_to_text(str(item.get("content_html") or item.get("summary") or "")),
        published_at=_json_feed_time(item.get("date_published") or item.get("date_modified")),
        authors=tuple(str(a.get("name")) for a in authors if isinstance(a, dict) and a.get("name")),
        image_url=_http(item.get("image") or item.get("banner_image")),
        language=item.get("language") or feed.get("language"),
    )


def _json_feed_time(value: Any) -> datetime | None:
    """An RFC 3339 date as JSON Feed has it; None for anything else (a number, say)."""
    return _time(value) if isinstance(value, str) else None


def parse_jsonl_archive(lines: Iterable[str]) -> ParsedFeed:
    """Entries of a JSONL archive (url, title, text, published, ...), and a reason for
    each line that is not one."""
    entries, problems = [], []
    for number, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
            url, title = _http(row.get("url")), " ".join(str(row.get("title") or "").split())
            if not url or not title:
                raise ValueError("needs an http(s) url and a title")
            entries.append(
                FeedEntry(
                    url=url,
                    title=title,
                    text=str(row.get("text") or ""),
                    published_at=_time(row.get("published")),
                    authors=tuple(row.get("authors") or ()),
                    image_url=_http(row.get("image_url")),
                    language=row.get("language"),
                    extra={"source": row.get("source")},
                )
            )
        except (ValueError, TypeError, AttributeError) as error:
            problems.append(f"line {number}: {error}")
    return ParsedFeed(entries, problems)
