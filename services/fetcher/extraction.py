"""An article page to its main text and metadata (trafilatura), tolerant of broken HTML."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

import trafilatura
from trafilatura.settings import Document

from shared.times import as_utc

MAX_TEXT_CHARS = 100_000
MIN_WORDS = 15  # less is a menu or a teaser, not an article
_LANG = re.compile(r"<html[^>]*\blang=[\"']?([A-Za-z]{2,3}(?:-[A-Za-z0-9]{2,8})?)", re.IGNORECASE)


@dataclass(frozen=True)
class ExtractedPage:
    title: str | None
    text: str
    authors: tuple[str, ...]
    published_at: datetime | None
    language: str | None
    image_url: str | None
    canonical_url: str | None


def _date(value: str | None) -> datetime | None:
    if not value:
        return None
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        return None
    return as_utc(moment)


def _http(value: str | None) -> str | None:
    return value if value and value.lower().startswith(("http://", "https://")) else None


def extract_article(html: str, url: str) -> ExtractedPage | None:
    """The page's main text and metadata; None when it has no main text."""
    document = trafilatura.bare_extraction(
        html,
        url=url,
        with_metadata=True,
        include_comments=False,
        include_tables=False,
        # Only dates the page states as metadata, not years guessed from its text.
        date_extraction_params={"extensive_search": False, "original_date": True},
    )
    if not isinstance(document, Document) or len((document.text or "").split()) < MIN_WORDS:
        return None
    title = " ".join((document.title or "").split()) or None
    paragraphs = [" ".join(line.split()) for line in (document.text or "").split("\n")]
    if paragraphs and title and paragraphs[0] == title:
        paragraphs = paragraphs[1:]  # the headline repeated above the text
    authors = tuple(a.strip() for a in re.split(r";|\band\b", document.author or "") if a.strip())
    language = document.language or (
        m.group(1).lower() if (m := _LANG.search(html[:2000])) else None
    )
    return ExtractedPage(
        title=title,
        text="\n\n".join(p for p in paragraphs if p)[:MAX_TEXT_CHARS],
        authors=authors,
        published_at=_date(document.date),
        language=language,
        image_url=_http(document.image),
        canonical_url=_http(document.url),
    )
