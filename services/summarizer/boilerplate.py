"""Documents that are not news: web-archive banners, social widgets, cookie walls.

A story's source list can hold such a page (an archived link that shows the archive's
own banner). It must never feed a summary: it is recognised by the phrases such pages
use, or, in a story of several documents, by sharing almost no words with the others.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Sequence

import numpy as np

from shared.text import content_stems

_BANNERS = re.compile(
    r"internet archive|wayback machine|alexa internet|archive-it|web collections? curated|"
    r"crawls? (?:are|is|was|were) part of|tweet with a location|add location information "
    r"to your tweets|enable javascript|your browser (?:is|does)|accept (?:all )?cookies|"
    r"page (?:not found|you requested)",
    re.IGNORECASE,
)
BANNER_HITS = 2
LEAST_SHARED = 0.04  # cosine similarity to the rest of the story below which a page is unrelated


def boilerplate_documents(documents: Sequence[str]) -> set[int]:
    """Indexes of the documents that are page furniture rather than reporting."""
    flagged = {i for i, text in enumerate(documents) if len(_BANNERS.findall(text)) >= BANNER_HITS}
    rest = [i for i in range(len(documents)) if i not in flagged]
    if len(rest) < 3:
        return flagged
    vectors = [Counter(content_stems(documents[i])) for i in rest]
    for i, vector in zip(rest, vectors, strict=True):
        others: Counter[str] = Counter()
        for other in vectors:
            if other is not vector:
                others.update(other)
        if _cosine(vector, others) < LEAST_SHARED:
            flagged.add(i)
    return flagged


def _cosine(a: Counter[str], b: Counter[str]) -> float:
    if not a or not b:
        return 0.0
    dot = sum(count * b[term] for term, count in a.items() if term in b)
    norm = float(np.sqrt(sum(v * v for v in a.values())) * np.sqrt(sum(v * v for v in b.values())))
    return dot / norm
