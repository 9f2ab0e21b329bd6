"""Turning an article into what the deduplicator compares: terms, a fingerprint, shingles."""

from __future__ import annotations

import hashlib
import re
import unicodedata
from collections import Counter
from collections.abc import Sequence

from shared.text import STOPWORDS, first_words, stem, words

TITLE_WEIGHT = 3


# Chinese and Japanese are written without spaces between words: a run of these
# characters is taken as its overlapping character pairs, which stand in for words.
_UNSPACED = re.compile(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]+")


def tokens(text: str) -> list[str]:
    """Words of `text` in order, a run of Chinese or Japanese characters as its pairs."""
    return _split_unspaced(words(text))


def _split_unspaced(found_words: Sequence[str]) -> list[str]:
    """`found_words`, each run of Chinese or Japanese characters as its pairs (a word gives
    at least one token)."""
    if not _UNSPACED.search("".join(found_words)):  # most texts: nothing to split
        return list(found_words)
    found: list[str] = []
    for word in found_words:
        if not _UNSPACED.search(word):
            found.append(word)
            continue
        position = 0
        for run in _UNSPACED.finditer(word):
            found.extend(part for part in (word[position : run.start()],) if part)
            chars = run.group()
            found.extend(
                [chars] if len(chars) == 1 else [chars[i : i + 2] for i in range(len(chars) - 1)]
            )
            position = run.end()
        found.extend(part for part in (word[position:],) if part)
    return found


def terms(title: str, text: str, *, body_words: int = 120) -> Counter[str]:
    """Stemmed content words of the title (weighted) and the lead of the body."""
    counts: Counter[str] = Counter()
    # A word gives at least one token: the lead's tokens are among its first words.
    lead = _split_unspaced(first_words(text, body_words))[:body_words]
    for weight, part in ((TITLE_WEIGHT, tokens(title)), (1, lead)):
        for word in part:
            if word.lower() not in STOPWORDS:
                counts[stem(word)] += weight
    return counts


# Marks that only accent a letter (Latin, Greek and Cyrillic accents, Arabic and Hebrew
# vowel points): folded away. Other marks are letters of their script (Indic vowel signs).
_ACCENTS = re.compile(r"[\u0300-\u036f\u0591-\u05c7\u064b-\u065f\u0670\u1ab0-\u1aff\u1dc0-\u1dff]")


def folded(text: str) -> str:
    """`text` with case and accents folded, the letters of every script kept."""
    decomposed = _ACCENTS.sub("", unicodedata.normalize("NFKD", text))
    return unicodedata.normalize("NFKC", decomposed).casefold()


def normalised(text: str) -> str:
    """Text with case, accents, punctuation and spacing folded, for exact comparison."""
    return " ".join(tokens(folded(text)))


def content_fingerprint(title: str, text: str) -> str:
    """Same for two articles whose title and text differ only in case, punctuation or spacing."""
    return fingerprint_of(normalised(title), normalised(text))


def fingerprint_of(normal_title: str, normal_text: str) -> str:
    """`content_fingerprint` of a title and text already `normalised`."""
    return hashlib.sha256(f"{normal_title}\n{normal_text}".encode()).hexdigest()[:32]


def shingles(text: str, size: int = 5) -> set[str]:
    """Overlapping word `size`-grams of the normalised text."""
    return shingles_of(normalised(text), size)


def shingles_of(normal_text: str, size: int = 5) -> set[str]:
    """`shingles` of a text already `normalised`."""
    tokens = normal_text.split()
    if len(tokens) < size:
        return {" ".join(tokens)} if tokens else set()
    return {" ".join(tokens[i : i + size]) for i in range(len(tokens) - size + 1)}
