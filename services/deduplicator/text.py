"""Turning an article into what the deduplicator compares: terms, a fingerprint, shingles."""

from __future__ import annotations

import hashlib
import unicodedata
from collections import Counter

from shared.text import STOPWORDS, stem, words

TITLE_WEIGHT = 3


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
