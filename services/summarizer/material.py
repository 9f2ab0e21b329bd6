"""A story's articles prepared once for summarising: sentences ranked, facts indexed."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime

from services.summarizer.extractive import (
    DEFAULT_WEIGHTS,
    RankingWeights,
    Sentence,
    lead_order,
    rank,
    select,
    story_sentences,
)
from services.summarizer.grounding import GroundingGate
from services.summarizer.sentences import publishable
from shared.events import StoryArticle, StoryUpdated
from shared.text import content_stems

KEY_POINT_MAX_WORDS = 40
MAX_TAGS = 8


def _published(article: StoryArticle) -> datetime:
    return article.published_at or datetime.max.replace(tzinfo=UTC)


class StoryMaterial:
    """The story's original reports in chronological order, their sentences and ranking."""

    def __init__(self, story: StoryUpdated, weights: RankingWeights = DEFAULT_WEIGHTS) -> None:
        self.story = story
        originals = [a for a in story.articles if a.copy_of is None] or list(story.articles)
        self.articles = sorted(originals, key=_published)
        documents = [a.text or a.title for a in self.articles]
        self.sentences = story_sentences(documents)
        # A thin story (teasers, text without sentences or with none but cut-off ones, as
        # a list of points ending "...") is told by its headlines.
        if not any(publishable(s.text) for s in self.sentences):
            self.sentences = story_sentences(
                [a.title.rstrip(".!? ") + "." for a in self.articles], min_words=3
            )
        self.scores = rank(self.sentences, weights)
        self.weights = weights
        self.gate = GroundingGate({a.article_id: f"{a.title}\n{a.text}" for a in story.articles})

    def article_of(self, sentence: Sentence) -> StoryArticle:
        return self.articles[sentence.document]

    def ranked(self) -> list[Sentence]:
        """Every sentence, best first."""
        order = sorted(range(len(self.sentences)), key=lambda i: -self.scores[i])
        return [self.sentences[i] for i in order]

    def summary(
        self, target_words: int, limit_words: int, leave_out: frozenset[str] = frozenset()
    ) -> list[Sentence]:
        """The best sentences in about `target_words`, never over `limit_words`, in
        reading order; none of `leave_out` (the key points: a shorter summary beats one that
        repeats them)."""
        kept = [
            (s, score)
            for s, score in zip(self.sentences, self.scores, strict=True)
            if s.text not in leave_out
        ]
        sentences, scores = [s for s, _ in kept], [score for _, score in kept]
        return lead_order(select(sentences, scores, target_words, self.weights, limit_words))

    def key_points(self, count: int = 5) -> list[Sentence]:
        """Up to `count` distinct, best-ranked sentences, best first: short ones first,
        longer ones only where the story has too few short ones."""
        ranked = sorted(zip(self.sentences, self.scores, strict=True), key=lambda p: -p[1])
        short = [s for s, _ in ranked if len(s.text.split()) <= KEY_POINT_MAX_WORDS]
        long = [s for s, _ in ranked if len(s.text.split()) > KEY_POINT_MAX_WORDS]
        picked: list[Sentence] = []
        covered: set[str] = set()
        for sentence in [*short, *long]:
            new = len(sentence.stems - covered) / max(1, len(sentence.stems))
            if picked and new < self.weights.redundancy:
                continue
            picked.append(sentence)
            covered |= sentence.stems
            if len(picked) == count:
                break
        return picked

    def headline(self) -> str:
        """The title, among the original reports, that shares most with the best sentences."""
        best = set().union(*(s.stems for s in self.ranked()[:5])) if self.sentences else set()

        def overlap(article: StoryArticle) -> float:
            stems = set(content_stems(article.title))
            return len(stems & best) / (len(stems) ** 0.5 or 1)

        return max(self.articles, key=overlap).title

    def tags(self) -> list[str]:
        """Names the story is about: those most of its articles mention (of as many, the
        one the story names first)."""
        counts: Counter[str] = Counter()
        for article in self.articles:
            counts.update(
                name
                for name in self.gate.names_in_order(f"{article.title}. {article.text}")
                if name[0].isupper() and len(name) > 2
            )
        least = 2 if len(self.articles) > 1 else 1
        return [name for name, n in counts.most_common(MAX_TAGS) if n >= least]
