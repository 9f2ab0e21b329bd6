"""The section of the site a story belongs to: the outlets' own hints first, else its words."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from typing import get_args

from shared.events import Category
from shared.text import content_stems, stem

CATEGORIES: tuple[Category, ...] = get_args(Category)
DEFAULT: Category = "World"

# Words that mark a section; a story goes where its words point most.
_LEXICON: dict[Category, str] = {
    "Politics": "election vote voter senate senator congress congressional parliament "
    "president presidential governor campaign democrat democratic republican gop party "
    "lawmaker legislation bill minister cabinet impeachment white house poll ballot",
    "Business": "market stock shares investor economy economic company companies bank "
    "inflation price prices trade tariff earnings profit revenue ceo billion deal "
    "startup industry jobs unemployment oil",
    "Technology": "technology tech software app apps artificial intelligence ai internet "
    "google apple microsoft amazon facebook meta twitter chip chips computer cyber hack "
    "hacker data smartphone online digital robot",
    "Science": "science scientist scientists research researchers study space nasa planet "
    "astronomer physics species fossil discovery telescope mars moon climate",
    "Health": "health hospital doctor doctors patient patients disease virus vaccine "
    "covid pandemic cancer medical medicine drug drugs outbreak infection",
    "Sports": "game games team season league player players coach championship cup match "
    "nfl nba mlb olympic olympics tournament score goal win football soccer basketball",
    "Entertainment": "film movie movies actor actress music singer album show television "
    "tv star celebrity hollywood oscar festival concert netflix series",
    "Environment": "environment environmental climate emissions carbon wildfire wildfires "
    "pollution species conservation flood floods drought hurricane storm",
    "World": "war troops military country countries foreign government killed attack "
    "border refugees united nations embassy conflict invasion",
}
_STEMS: dict[Category, frozenset[str]] = {
    category: frozenset(stem(word) for word in words.split())
    for category, words in _LEXICON.items()
}


def categorise(texts: Iterable[str], hints: Iterable[str | None] = ()) -> Category:
    """The category the outlets hint most, or the one the texts' words point to most."""
    by_name = {c.lower(): c for c in CATEGORIES}
    hinted = Counter(
        by_name[h.strip().lower()] for h in hints if h and h.strip().lower() in by_name
    )
    if hinted:
        return hinted.most_common(1)[0][0]
    counts = Counter(content_stems(" ".join(texts)))
    scores = {c: sum(counts[s] for s in stems) for c, stems in _STEMS.items()}
    best = max(scores, key=lambda c: scores[c])
    return best if scores[best] > 0 else DEFAULT
