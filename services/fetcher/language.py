"""The language of an article from its text (py3langid), for pages and feeds that do not
say it."""

from __future__ import annotations

from functools import cache

from py3langid.langid import MODEL_FILE, LanguageIdentifier

SAMPLE_CHARS = 2000  # the start of the text tells the language as well as the whole
LEAST_BYTES = 40  # shorter (in UTF-8: a Chinese character says more than a letter), a guess
LEAST_PROBABILITY = 0.9


@cache
def _identifier() -> LanguageIdentifier:
    return LanguageIdentifier.from_pickled_model(MODEL_FILE, norm_probs=True)


def detected_language(text: str) -> str | None:
    """The ISO 639-1 code of `text`'s language, or None when the text is too short or the
    guess is not sure."""
    sample = " ".join(text[:SAMPLE_CHARS].split())
    if len(sample.encode()) < LEAST_BYTES:
        return None
    language, probability = _identifier().classify(sample)
    return str(language) if float(probability) >= LEAST_PROBABILITY else None
