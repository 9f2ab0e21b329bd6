"""Documents that are not news: web-archive banners, social widgets, cookie walls.

A story's source list can hold such a page (an archived link that shows the archive's
own banner). It must never feed a summary: it is recognised by the phrases such pages
use, or, in a story of several documents, by sharing almost no words with the others.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from types import MappingProxyType

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
    pages = [_read(text) for text in documents]
    flagged = {i for i, page in enumerate(pages) if page.banners >= BANNER_HITS}
    rest = [i for i in range(len(documents)) if i not in flagged]
    if len(rest) < 3:
        return flagged
    story: Counter[str] = Counter()
    for i in rest:
        story.update(pages[i].stems)
    story_squares = sum(count * count for count in story.values())
    for i in rest:
        if pages[i].shared_with(story, story_squares) < LEAST_SHARED:
            flagged.add(i)
    return flagged


@dataclass(frozen=True)
class _Page:
    """What the check reads of one document."""

    banners: int  # banner phrases found
    stems: Mapping[str, int]  # content stems and how often each occurs
    squares: int  # the sum of those counts squared

    def shared_with(self, story: Counter[str], story_squares: int) -> float:
        """Cosine similarity of the page's stems to the rest of the story's: `story` (all
        its pages' stems, this one's among them) less its own, in sums over its own stems."""
        # With a = own counts and s = the story's: the rest is s - a, so
        # a . (s - a) = sum(a s) - sum(a a) and |s - a|^2 = sum(s s) - 2 sum(a s) + sum(a a).
        products = sum(count * story[stem] for stem, count in self.stems.items())
        rest_dot = products - self.squares
        rest_squares = story_squares - 2 * products + self.squares
        if not self.squares or not rest_squares:
            return 0.0
        return rest_dot / float(np.sqrt(self.squares) * np.sqrt(rest_squares))


# A story is checked again at each version, and most of its pages were read before: a
# page's reading is kept while it is a recent one (as its sentences are, extractive.py).
@lru_cache(maxsize=1024)
def _read(document: str) -> _Page:
    stems = Counter(content_stems(document))
    return _Page(
        len(_BANNERS.findall(document)),
        MappingProxyType(stems),
        sum(count * count for count in stems.values()),
    )
