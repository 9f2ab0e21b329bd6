"""Jinja2 set up for the site: autoescaping everywhere, and the filters templates use."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from email.utils import format_datetime
from pathlib import Path
from typing import Any
from urllib.parse import quote

from jinja2 import Environment, FileSystemLoader, select_autoescape
from markupsafe import Markup

from shared.times import as_utc

TEMPLATES = Path(__file__).parent / "templates"


def http_url(value: object) -> str:
    """The URL if it is http(s), else a harmless `#`: no javascript:, data: or vbscript:."""
    text = str(value or "").strip()
    return text if text.lower().startswith(("http://", "https://")) else "#"


# Marks a passage may open with: a quotation of its own.
_OPENING_QUOTES = ('"', "'", "\u201c", "\u2018", "\u201e", "\u00ab", "\u00bb")


def quoted(passage: object) -> str:
    """The passage in quotation marks, unless it opens with a quotation of its own (which
    showed as two marks, “")."""
    text = str(passage or "")
    return text if text.startswith(_OPENING_QUOTES) else f"\u201c{text}\u201d"


def relative_time(moment: datetime | None, now: datetime | None = None) -> str:
    if moment is None:
        return ""
    now = now or datetime.now(UTC)
    moment = as_utc(moment)
    seconds = max(0, int((now - moment).total_seconds()))
    for unit, size in (("day", 86400), ("hour", 3600), ("minute", 60)):
        if seconds >= size:
            n = seconds // size
            return f"{n} {unit}{'s' if n != 1 else ''} ago"
    return "just now"


def long_date(moment: datetime | None) -> str:
    return moment.strftime("%A, %B %d, %Y") if moment else ""


def iso(moment: datetime | None) -> str:
    return as_utc(moment).isoformat(timespec="seconds") if moment else ""


def rfc822(moment: datetime | None) -> str:
    return format_datetime(as_utc(moment).astimezone(UTC), usegmt=True) if moment else ""


def json_ld(data: dict[str, Any]) -> Markup:
    """JSON for a <script type="application/ld+json"> block that no text can break out of."""
    text = json.dumps(data, ensure_ascii=False)
    for char, escape in (("<", "\\u003c"), (">", "\\u003e"), ("&", "\\u0026")):
        text = text.replace(char, escape)
    return Markup(text)  # every markup character is escaped above


def make_environment() -> Environment:
    environment = Environment(
        loader=FileSystemLoader(TEMPLATES),
        autoescape=select_autoescape(["html", "xml"], default_for_string=True),
        trim_blocks=True,
        lstrip_blocks=True,
    )
    environment.filters.update(
        http_url=http_url,
        quoted=quoted,
        relative_time=relative_time,
        long_date=long_date,
        iso=iso,
        rfc822=rfc822,
        json_ld=json_ld,
        urlquote=lambda value: quote(str(value), safe=""),
    )
    return environment
