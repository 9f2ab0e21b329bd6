"""Times in UTC."""

from __future__ import annotations

from datetime import UTC, datetime


def as_utc(moment: datetime) -> datetime:
    """`moment` with a zone: one without (FerretDB returns stored times so, and some feeds
    write them so) is taken to be UTC."""
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)
