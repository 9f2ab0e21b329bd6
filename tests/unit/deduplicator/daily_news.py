"""A made-up stream of news over many days: each day, new events told by three outlets in
words of their own (a seeded random vocabulary), and one wire story copied by a fourth, so
no event, and no copy, reaches from one day into the next."""

from __future__ import annotations

import random
import string
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

from services.deduplicator.evaluation import fetched_article
from shared.events import ArticleFetched

EVENTS_A_DAY = 6
OUTLETS = ("Daily Ledger", "Morning Wire", "Evening Post")
START = datetime(2026, 1, 5, 6, tzinfo=UTC)


def _word(chance: random.Random) -> str:
    return "".join(chance.choices(string.ascii_lowercase, k=chance.randint(5, 9)))


def daily_news(days: range, seed: int = 7) -> Iterator[tuple[int, ArticleFetched]]:
    """(day, article) for each article of each day, in order of time."""
    for day in days:
        chance = random.Random(f"{seed}:{day}")
        for event in range(EVENTS_A_DAY):
            words = [_word(chance) for _ in range(30)]
            at = START + timedelta(days=day, hours=2 * event)
            for n, outlet in enumerate(OUTLETS):
                told = chance.sample(words, 24)  # most of the event's words, in its own order
                yield (
                    day,
                    fetched_article(
                        outlet,
                        f"d{day}-e{event}-{n}",
                        " ".join(told[:6]).capitalize(),
                        ". ".join(" ".join(told[i : i + 6]) for i in range(0, 24, 6)) + ".",
                        at + timedelta(minutes=10 * n),
                    ),
                )
        wire = fetched_article(
            "Wire Service",
            f"d{day}-wire",
            f"Wire story of day {day}",
            " ".join(_word(chance) for _ in range(60)),
            START + timedelta(days=day, hours=20),
        )
        copy = fetched_article(
            "Syndicating Times",
            f"d{day}-wire-copy",
            f"As the wire says on day {day}",
            wire.text + " Read more.",
            START + timedelta(days=day, hours=21),
        )
        yield day, wire
        yield day, copy


def articles_a_day() -> int:
    return EVENTS_A_DAY * len(OUTLETS) + 2
