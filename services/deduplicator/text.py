"""Turning an article into what the deduplicator compares: terms, a fingerprint, shingles."""

from __future__ import annotations

import hashlib
import re
import unicodedata
from collections import Counter
from functools import lru_cache

import snowballstemmer

_WORD = re.compile(r"[^\W\d_](?:[\w'\u2019-]*[^\W_])?|\d[\d,.]*\d|\d", re.UNICODE)
_STEMMER = snowballstemmer.stemmer("english")

# Words that say nothing about which event an article is about.
STOPWORDS = frozenset(
    (
        "a about after again against all also am an and any are as at be because been "
        "before being between both but by can could did do does doing down during each "
        "few for from further had has have having he her here hers herself him himself "
        "his how i if in into is it its itself just me more most my myself new no nor not "
        "now of off on once one only or other our ours ourselves out over own said same "
        "say says she should so some such than that the their theirs them themselves then "
        "there these they this those through to too under until up us very was we were "
        "what when where which while who whom why will with would you your yours yourself "
        "yourselves "
    ).split()
)

TITLE_WEIGHT = 3


def words(text: str) -> list[str]:
    return _WORD.findall(text)


@lru_cache(maxsize=200_000)
def stem(word: str) -> str:
    lowered = word.lower().replace("\u2019", "'")
    if lowered.endswith("'s"):
        lowered = lowered[:-2]
    return str(_STEMMER.stemWord(lowered))


def terms(title: str, text: str, *, body_words: int = 120) -> Counter[str]:
    """Stemmed content words of the title (weighted) and the lead of the body."""
    counts: Counter[str] = Counter()
    for weight, part in ((TITLE_WEIGHT, words(title)), (1, words(text)[:body_words])):
        for word in part:
            if word.lower() not in STOPWORDS:
                counts[stem(word)] += weight
    return counts


def normalised(text: str) -> str:
    """Text with case, accents, punctuation and spacing folded, for exact comparison."""
    folded = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().lower()
    return " ".join(words(folded))


def content_fingerprint(title: str, text: str) -> str:
    """Same for two articles whose title and text differ only in case, punctuation or spacing."""
    return hashlib.sha256(f"{normalised(title)}\n{normalised(text)}".encode()).hexdigest()[:32]


def shingles(text: str, size: int = 5) -> set[str]:
    """Overlapping word `size`-grams of the normalised text."""
    tokens = normalised(text).split()
    if len(tokens) < size:
        return {" ".join(tokens)} if tokens else set()
    return {" ".join(tokens[i : i + size]) for i in range(len(tokens) - size + 1)}
