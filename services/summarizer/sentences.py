"""Sentences of an article: split carefully, cleaned of page furniture."""

from __future__ import annotations

import re

from shared.text import words

# Words after which a full stop does not end a sentence.
_ABBREVIATIONS = frozenset(
    (
        "mr mrs ms dr prof sr jr st mt gen col lt sgt capt cmdr adm gov sen rep rev pres "
        "inc ltd co corp bros dept univ no vs etc approx est fig al "
        "jan feb mar apr jun jul aug sep sept oct nov dec"
    ).split()
)
# A sentence ends at . ! or ? (with closing quotes or brackets) before a space and a capital,
# a digit or an opening quote.
_BOUNDARY = re.compile(r"[.!?][\"'\u201d\u2019)\]]*(?=\s+[\"'\u201c\u2018(\[]?[A-Z0-9])")
_INITIAL = re.compile(r"(?:^|\s)(?:[A-Za-z]\.)+[\"'\u201d\u2019)\]]*$")  # U.S., J., p.m.
_LAST_WORD = re.compile(r"([A-Za-z]+)\.[\"'\u201d\u2019)\]]*$")

# Lines that belong to the page, not the story.
_FURNITURE = re.compile(
    r"advertisement|^photo:|\(photo:|getty images|^image:|click here|sign up|subscribe|"
    r"newsletter|follow (us|him|her) on|all rights reserved|copyright|\(published |"
    r"autoplay|embed|^play (facebook|video)|share this|read more|related:|^watch:|"
    r"this story has been updated|^\W*(video|audio)\W*$|cookies?|javascript",
    re.IGNORECASE,
)

# A sentence that speaks to a language model ("Ignore all previous instructions and ...")
# is an injection, not news: never a candidate, never evidence.
_INSTRUCTION = re.compile(
    r"\b(?:ignore|disregard|forget|override)\b[^.]{0,60}?\b(?:instructions?|prompts?|rules|guidelines)\b"
    r"|\bsystem prompt\b|\blanguage model\b|\bas an ai\b"
    r"|\byou are (?:now )?(?:an? )?(?:ai|assistant|chatbot)\b",
    re.IGNORECASE,
)

MIN_WORDS = 6
MAX_WORDS = 70


def split_sentences(text: str) -> list[str]:
    """The sentences of `text`, paragraph by paragraph, whitespace folded."""
    sentences: list[str] = []
    for paragraph in re.split(r"\n\s*\n|\n(?=\S)", text):
        paragraph = " ".join(paragraph.split())
        if not paragraph:
            continue
        start = 0
        for boundary in _BOUNDARY.finditer(paragraph):
            candidate = paragraph[start : boundary.end()]
            if not _ends_in_abbreviation(candidate):
                sentences.append(candidate.strip())
                start = boundary.end()
        if rest := paragraph[start:].strip():
            sentences.append(rest)
    return sentences


def _ends_in_abbreviation(text: str) -> bool:
    if _INITIAL.search(text):
        return True
    match = _LAST_WORD.search(text)
    return bool(match and match.group(1).lower() in _ABBREVIATIONS)


def is_story_sentence(sentence: str, min_words: int = MIN_WORDS) -> bool:
    """Whether `sentence` reads as a sentence of the story, not a caption, credit or widget."""
    count = len(words(sentence))
    if not min_words <= count <= MAX_WORDS:
        return False
    if not sentence.rstrip("\"'\u201d\u2019)] ").endswith((".", "!", "?")):
        return False
    if _FURNITURE.search(sentence) or is_instruction(sentence):
        return False
    letters = [c for c in sentence if c.isalpha()]
    return not letters or sum(c.isupper() for c in letters) / len(letters) < 0.5


def clean(sentence: str) -> str:
    """A sentence with a dateline (`WASHINGTON (Reuters) -`) and stray marks removed."""
    sentence = re.sub(
        r"^[A-Z][A-Z .,']{2,40}(?:\([^)]{1,40}\))?\s*[-\u2014\u2013]+\s*", "", sentence
    )
    sentence = re.sub(r"^\([^)]{1,40}\)\s*[-\u2014\u2013]+\s*", "", sentence)
    return sentence.strip(" -\u2013\u2014")


# A teaser cut off by its outlet: "... he said..." or "...the" (an ellipsis, or no full
# stop at the end).
_CUT = re.compile(r"(\.\.\.|\u2026)[\"'\u201d\u2019)\]]*$|[^.!?\"'\u201d\u2019)\]]$")


def publishable(sentence: str) -> bool:
    """Whether `sentence` reads as finished: no teaser's ellipsis, no missing full stop."""
    return not _CUT.search(sentence.strip())


def is_instruction(sentence: str) -> bool:
    """Whether `sentence` addresses a language model rather than a reader."""
    return bool(_INSTRUCTION.search(sentence))
