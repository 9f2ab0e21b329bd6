"""Words of news text, as the deduplicator and the summarizer compare them (stems and
stopwords are English; words are found in every script)."""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache
from itertools import islice

import snowballstemmer


def _mark_ranges() -> str:
    """A regex class body of Unicode's combining marks (vowel signs of Indic scripts,
    accents, Arabic harakat): part of a word, though `\\w` does not match them."""
    marks = [c for c in range(0x300, 0x10000) if unicodedata.category(chr(c)).startswith("M")]
    ranges: list[tuple[int, int]] = []
    for c in marks:
        if ranges and ranges[-1][1] == c - 1:
            ranges[-1] = (ranges[-1][0], c)
        else:
            ranges.append((c, c))
    return "".join(f"\\u{a:04x}-\\u{b:04x}" for a, b in ranges)


_MARK = _mark_ranges()
_WORD = re.compile(
    rf"[^\W\d_](?:[\w{_MARK}'\u2019-]*(?:[^\W_]|[{_MARK}]))?|\d[\d,.]*\d|\d", re.UNICODE
)
_STEMMER = snowballstemmer.stemmer("english")

# Words that say nothing about what a text is about.
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


def words(text: str) -> tuple[str, ...]:
    """Words and numbers of `text`, in order, as written."""
    if len(text) > SENTENCE_CHARS:
        return tuple(_WORD.findall(text))
    return _sentence_words(text)


# The summarizer reads each sentence's words several times (ranking, grounding, names):
# a sentence's are kept. Whole articles, read once, are not.
SENTENCE_CHARS = 600


@lru_cache(maxsize=4096)
def _sentence_words(text: str) -> tuple[str, ...]:
    return tuple(_WORD.findall(text))


def first_words(text: str, count: int) -> list[str]:
    """The first `count` of `words(text)`, without reading the rest of `text`."""
    return [match.group() for match in islice(_WORD.finditer(text), count)]


@lru_cache(maxsize=200_000)
def stem(word: str) -> str:
    """The lower-cased English stem of `word`, possessive dropped."""
    lowered = word.lower().replace("\u2019", "'")
    if lowered.endswith("'s"):
        lowered = lowered[:-2]
    return str(_STEMMER.stemWord(lowered))


def content_stems(text: str) -> list[str]:
    """Stems of the words of `text` that are not stopwords, in order."""
    return [stem(word) for word in words(text) if word.lower() not in STOPWORDS]
