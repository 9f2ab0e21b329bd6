"""Multi-document extractive summarisation: lead-aware centroid ranking with MMR.

Each sentence is scored by how close it is to the story's centroid (TF-IDF over the
story's own documents) and by how early it stands in its article (news puts the facts
first); sentences are then picked greedily, each time the best one that does not repeat
what is already picked (maximal marginal relevance), and put back in reading order.
"""

from __future__ import annotations

import math
from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache

from services.summarizer.boilerplate import boilerplate_documents
from services.summarizer.sentences import MIN_WORDS, clean, is_story_sentence, split_sentences
from shared.text import content_stems, words


@dataclass(frozen=True)
class Sentence:
    text: str
    document: int  # index of its document in the story
    position: int  # index among its document's story sentences
    stems: frozenset[str]


@dataclass(frozen=True)
class RankingWeights:
    """How the score trades centrality against position; tuned on the dev data."""

    position_decay: float = 1.5  # score times 1 / (1 + position) ** decay
    redundancy: float = 0.5  # least share of new stems a picked sentence must bring
    centrality: float = 0.5  # exponent of the centroid similarity


DEFAULT_WEIGHTS = RankingWeights()


def story_sentences(documents: Sequence[str], min_words: int = MIN_WORDS) -> list[Sentence]:
    """Clean sentences of the story's real documents, duplicates dropped."""
    skipped = boilerplate_documents(documents)
    seen: set[str] = set()
    sentences: list[Sentence] = []
    for index, document in enumerate(documents):
        if index in skipped:
            continue
        position = 0
        for text, key, stems in document_sentences(document, min_words):
            if key in seen:
                continue
            seen.add(key)
            sentences.append(Sentence(text, index, position, stems))
            position += 1
    return sentences


# A story is summarised again each time it gains an article, and each time every one of
# its articles was read again: an article's sentences are kept while it is a recent one.
@lru_cache(maxsize=1024)
def document_sentences(
    document: str, min_words: int = MIN_WORDS
) -> tuple[tuple[str, str, frozenset[str]], ...]:
    """The story sentences of one document, in order: each one's clean text, the key its
    duplicates share, and its content stems."""
    found = []
    for raw in split_sentences(document):
        text = clean(raw)
        if is_story_sentence(text, min_words):
            key = " ".join(words(text.lower()))
            found.append((text, key, frozenset(content_stems(text))))
    return tuple(found)


def lead_order(sentences: Sequence[Sentence]) -> list[Sentence]:
    """The lead baseline's order: each document's first sentence in turn, then the second..."""
    return sorted(sentences, key=lambda s: (s.position, s.document))


def rank(sentences: Sequence[Sentence], weights: RankingWeights = DEFAULT_WEIGHTS) -> list[float]:
    """A score for each sentence: centroid similarity times a position prior."""
    if not sentences:
        return []
    stems_of_document: defaultdict[int, set[str]] = defaultdict(set)
    for s in sentences:
        stems_of_document[s.document] |= s.stems
    document_frequency: Counter[str] = Counter()
    for stems in stems_of_document.values():
        document_frequency.update(stems)
    documents = len(stems_of_document)
    idf = {t: math.log(1 + documents / df) for t, df in document_frequency.items()}
    centroid: defaultdict[str, float] = defaultdict(float)
    for s in sentences:
        for term in s.stems:
            centroid[term] += idf[term]
    # Sums over sets, whose order follows the process's string hashing: `fsum` is exact
    # in any order, so every replica ranks a story alike (`sum` differed in the last bits).
    centroid_norm = math.sqrt(math.fsum(v * v for v in centroid.values()))
    scores = []
    for s in sentences:
        norm = math.sqrt(math.fsum(idf[t] ** 2 for t in s.stems))
        similarity = (
            math.fsum(idf[t] * centroid[t] for t in s.stems) / (norm * centroid_norm)
            if norm
            else 0.0
        )
        prior = 1.0 / (1 + s.position) ** weights.position_decay
        scores.append(similarity**weights.centrality * prior)
    return scores


def select(
    sentences: Sequence[Sentence],
    scores: Sequence[float],
    max_words: int,
    weights: RankingWeights = DEFAULT_WEIGHTS,
    limit_words: int | None = None,
) -> list[Sentence]:
    """The best sentences, until `max_words`, that do not repeat one another; none that
    would take the length past `limit_words`."""
    order = sorted(range(len(sentences)), key=lambda i: -scores[i])
    picked: list[Sentence] = []
    covered: set[str] = set()
    length = 0
    for i in order:
        sentence = sentences[i]
        new = len(sentence.stems - covered) / max(1, len(sentence.stems))
        size = len(sentence.text.split())
        if picked and new < weights.redundancy:
            continue
        if limit_words is not None and length + size > limit_words:
            continue
        picked.append(sentence)
        covered |= sentence.stems
        length += size
        if length >= max_words:
            break
    return picked


def summarize(
    documents: Sequence[str], max_words: int, weights: RankingWeights = DEFAULT_WEIGHTS
) -> list[Sentence]:
    """Sentences of a summary of about `max_words` words, in reading order."""
    sentences = story_sentences(documents)
    picked = select(sentences, rank(sentences, weights), max_words, weights)
    return lead_order(picked)
