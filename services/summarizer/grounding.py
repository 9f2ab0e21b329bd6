"""The grounding gate: every number, date and proper name published must be in a source.

A fact is a number (`300`, `11,000`, `1.5%`, `2024`) or a proper name (a capitalised
word that does not open its sentence, or an acronym). A sentence is supported by an
article when each of its facts occurs in that article's title or text.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from services.summarizer.sentences import split_sentences
from shared.text import STOPWORDS

_TOKEN = re.compile(r"[A-Za-z\u00c0-\u024f][\w'\u2019.-]*[\w]|[A-Za-z]|\d[\d,.]*\d|\d")
_NUMBER_WORDS = frozenset(
    "two three four five six seven eight nine ten eleven twelve twenty thirty forty fifty "
    "sixty seventy eighty ninety hundred thousand million billion trillion dozen dozens "
    "half quarter".split()
)
# Capitalised words that are not names wherever they stand.
_NOT_NAMES = STOPWORDS | frozenset(
    "mr mrs ms dr i monday tuesday wednesday thursday friday saturday sunday".split()
)


def _number(token: str) -> str:
    return token.replace(",", "").rstrip(".")


def facts(sentence: str) -> frozenset[str]:
    """The numbers, number words and proper names in `sentence`, as they must be found."""
    found: set[str] = set()
    for part in split_sentences(sentence):
        for index, raw in enumerate(_TOKEN.findall(part)):
            token = raw.rstrip(".").replace("\u2019", "'").removesuffix("'s")
            if not token:
                continue
            if token[0].isdigit():
                found.add(_number(token))
            elif token.lower() in _NUMBER_WORDS:
                found.add(token.lower())
            elif (
                token[0].isupper()
                and token.lower() not in _NOT_NAMES
                # A sentence's first word is capitalised anyway; an acronym there is a name.
                and (index > 0 or (len(token) > 1 and token.isupper()))
            ):
                found.add(token)
    return frozenset(found)


def source_facts(text: str) -> frozenset[str]:
    """Everything `facts` could ask of a source: its numbers, number words and words as written."""
    found: set[str] = set()
    for token in _TOKEN.findall(text):
        token = token.rstrip(".").replace("\u2019", "'").removesuffix("'s")
        if not token:
            continue
        if token[0].isdigit():
            found.add(_number(token))
        else:
            found.add(token)
            found.add(token.lower())
    return frozenset(found)


@dataclass(frozen=True)
class Verdict:
    supporting: tuple[str, ...]  # article ids in which every fact occurs
    unsupported: frozenset[str]  # facts found in no article

    @property
    def grounded(self) -> bool:
        return bool(self.supporting) and not self.unsupported


class GroundingGate:
    """Checks sentences against the facts of a story's articles."""

    def __init__(self, articles: Mapping[str, str]) -> None:
        # article id -> title and text
        self._facts = {article_id: source_facts(text) for article_id, text in articles.items()}

    def check(self, sentence: str) -> Verdict:
        needed = facts(sentence)
        supporting = tuple(a for a, known in self._facts.items() if needed <= known)
        anywhere = set().union(*self._facts.values()) if self._facts else set()
        return Verdict(supporting, frozenset(needed - anywhere))

    def mentions(self, name: str) -> bool:
        """Whether one article has every word of `name` as written (for tags)."""
        needed = source_facts(name)
        return bool(needed) and any(needed <= known for known in self._facts.values())

    def grounded_share(self, sentences: Iterable[str]) -> float:
        verdicts = [self.check(s) for s in sentences]
        return sum(v.grounded for v in verdicts) / len(verdicts) if verdicts else 1.0
