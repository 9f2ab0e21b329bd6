"""Online story clustering that revises itself: each article re-clusters its neighbourhood.

Similarity is TF-IDF cosine over stemmed title and lead terms, with document frequencies
learnt from the stream itself, corrected for hubness (CSLS): each article's mean cosine
to its `neighbours` nearest articles is taken off, so an article that resembles many
(a topic covered every day: jobs, inflation, the pandemic) needs more to join a story
than one about a distinct event. Two articles that name different weekdays for what
they report are kept further apart. When articles come with embeddings (an optional
OpenAI-compatible endpoint), their cosine is mixed into the TF-IDF cosine.

When an article arrives, it and every story it has a neighbour in are clustered again
from scratch (average link; at most one article per outlet in a story, since outlets
report an event once and update in place). So a later article can join two stories
into one, or take an article into a story that fits it better, and the stories come
out nearly the same whatever order the articles arrived in. A cluster keeps the id of
the story it shares most articles with.

Deciding (`place`) changes nothing; `add` records the placement. The deduplicator
journals placements and rebuilds the clusterer from them; `pressroom eval clustering`
builds it from nothing, through the same code.
"""

from __future__ import annotations

import heapq
import itertools
import math
import operator
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta

Terms = Mapping[str, int]
WEEKDAYS = frozenset({"monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"})


@dataclass(frozen=True)
class ClusteringSettings:
    threshold: float = -0.03  # least corrected average similarity within a story
    neighbours: int = 5  # how many nearest articles measure an article's hubness
    least_similarity: float = 0.1  # cosines below this count as none
    weekday_penalty: float = 0.1
    embedding_weight: float = 0.3  # share of the embeddings' cosine, where both have one
    window: timedelta = timedelta(hours=72)
    candidate_terms: int = 12
    one_article_per_outlet: bool = True


@dataclass(frozen=True)
class ClusterArticle:
    article_id: str
    source_id: str
    terms: Terms
    seen_at: datetime
    embedding: tuple[float, ...] | None = None  # unit length

    @property
    def weekdays(self) -> frozenset[str]:
        return WEEKDAYS.intersection(self.terms)


@dataclass(frozen=True)
class Move:
    """An earlier article changes story."""

    article_id: str
    from_story: str
    to_story: str


@dataclass(frozen=True)
class Placement:
    story_id: str  # the article's story
    index_keys: tuple[str, ...]  # the terms it is found under
    similarities: tuple[tuple[str, float], ...]  # its cosine with each earlier neighbour
    moves: tuple[Move, ...]


@dataclass(frozen=True)
class TermWeights:
    """TF-IDF weights from `documents` articles, of which `frequencies[t]` hold term t;
    the terms in `counted` are counted once more (the article being placed). The IDF
    counts `prior_documents` more articles that hold none of the terms: early in a
    stream, a word that two of three articles share is not yet a common word.

    One placement weighs the same terms again for every candidate and group member, so
    each term's IDF is worked out once per `TermWeights` (the same arithmetic, so the
    same weights to the last bit)."""

    documents: int
    frequencies: Mapping[str, int]
    counted: frozenset[str] = frozenset()
    prior_documents: int = 10
    _idf: dict[str, float] = field(default_factory=dict, init=False, compare=False, repr=False)

    def vector(self, terms: Terms) -> dict[str, float]:
        idf = self._idf
        weights = {}
        for term, count in terms.items():
            if (inverse := idf.get(term)) is None:
                inverse = idf[term] = math.log(
                    (self.documents + 1 + self.prior_documents)
                    / (self.frequencies.get(term, 0) + (term in self.counted) + 0.5)
                )
            # Most terms occur once, where 1 + log(count) is 1: the same weight, no log.
            weights[term] = inverse if count == 1 else (1.0 + math.log(count)) * inverse
        values = weights.values()
        norm = math.sqrt(sum(map(operator.mul, values, values))) or 1.0
        return {term: w / norm for term, w in weights.items()}


def cosine(a: Mapping[str, float], b: Mapping[str, float]) -> float:
    if len(a) > len(b):
        a, b = b, a
    # Every weight is positive, so the terms b lacks would only add zeros.
    return sum(w * b[term] for term, w in a.items() if term in b)


def average_link(
    items: list[str],
    score: Callable[[str, str], float],
    may_join: Callable[[set[str], set[str]], bool],
    threshold: float,
) -> list[list[str]]:
    """Agglomerative clustering: repeatedly join the two clusters with the highest mean
    pairwise score above `threshold` that `may_join` allows (once refused, a pair stays
    refused: joining only adds to a cluster). Ties go to the earlier pair, so the result
    depends only on the scores and the order of `items`. A heap of candidate joins, each
    stamped with its clusters' sizes, keeps it O(n² log n)."""
    clusters = {i: [item] for i, item in enumerate(items)}
    labels = {i: {item} for i, item in enumerate(items)}
    totals: dict[tuple[int, int], float] = {}
    heap: list[tuple[float, int, int, int, int]] = []
    for i in range(len(items)):
        for j in range(i + 1, len(items)):
            totals[(i, j)] = total = score(items[i], items[j])
            if total > threshold:
                heap.append((-total, i, j, 1, 1))
    heapq.heapify(heap)
    while heap:
        _, keep, gone, keep_size, gone_size = heapq.heappop(heap)
        if (
            gone not in clusters
            or keep not in clusters
            or (len(clusters[keep]), len(clusters[gone])) != (keep_size, gone_size)
            or not may_join(labels[keep], labels[gone])
        ):
            continue  # stale (a cluster has changed since), or refused
        clusters[keep] += clusters.pop(gone)
        labels[keep] |= labels.pop(gone)
        del totals[(keep, gone)]
        for other in clusters:
            if other == keep:
                continue
            pair = (min(keep, other), max(keep, other))
            totals[pair] += totals.pop((min(gone, other), max(gone, other)))
            mean = totals[pair] / (len(clusters[keep]) * len(clusters[other]))
            if mean > threshold:
                first, second = pair
                sizes = (len(clusters[first]), len(clusters[second]))
                heapq.heappush(heap, (-mean, first, second, *sizes))
    return [clusters[i] for i in sorted(clusters)]


class StoryClusterer:
    def __init__(self, settings: ClusteringSettings | None = None) -> None:
        self.settings = settings or ClusteringSettings()
        self.documents = 0
        self.frequencies: Counter[str] = Counter()
        self.articles: dict[str, ClusterArticle] = {}  # in arrival order
        self.arrived = 0  # articles ever added: the next one's arrival number
        self.arrival: dict[str, int] = {}
        self.story_of: dict[str, str] = {}
        self.members: dict[str, list[str]] = {}  # story -> its articles, in arrival order
        self.similarities: defaultdict[str, dict[str, float]] = defaultdict(dict)
        self.index_keys: dict[str, tuple[str, ...]] = {}
        self.articles_by_term: defaultdict[str, dict[str, None]] = defaultdict(dict)

    def place(self, article: ClusterArticle, new_story_id: Callable[[], str]) -> Placement:
        """Where `article` goes, and which earlier articles change story with it."""
        weights = TermWeights(self.documents + 1, self.frequencies, frozenset(article.terms))
        vector = weights.vector(article.terms)
        ranked = sorted(vector, key=vector.__getitem__, reverse=True)
        keys = ranked[: self.settings.candidate_terms]  # what the article is found under
        # Looked up by its best terms that earlier articles are found under: its very best
        # are often its own (a name no one used yet), which find nothing.
        lookup = [term for term in ranked if term in self.articles_by_term]
        vectors = {article.article_id: vector}  # under this article's weights, each once
        similarities: dict[str, float] = {}
        for other in self._candidates(lookup[: self.settings.candidate_terms], article.seen_at):
            vectors[other] = weights.vector(self.articles[other].terms)
            similarity = self._similarity(article, vector, self.articles[other], vectors[other])
            if similarity >= self.settings.least_similarity:
                similarities[other] = similarity
        story_id, moves = self._recluster(article, similarities, vectors, weights, new_story_id)
        return Placement(story_id, tuple(keys), tuple(similarities.items()), moves)

    def add(self, article: ClusterArticle, placement: Placement) -> None:
        """Record a placement: the article, its similarities and the story changes."""
        self.count_document(article.terms)
        self.arrival[article.article_id] = self.arrived
        self.arrived += 1
        self.articles[article.article_id] = article
        self.index_keys[article.article_id] = placement.index_keys
        for key in placement.index_keys:
            self.articles_by_term[key][article.article_id] = None
        for other, similarity in placement.similarities:
            self.similarities[article.article_id][other] = similarity
            self.similarities[other][article.article_id] = similarity
        self._join(article.article_id, placement.story_id)
        for move in placement.moves:
            self._leave(move.article_id)
            self._join(move.article_id, move.to_story)

    def _similarity(
        self,
        article: ClusterArticle,
        vector: Mapping[str, float],
        other: ClusterArticle,
        other_vector: Mapping[str, float],
    ) -> float:
        lexical = cosine(vector, other_vector)
        if article.embedding is None or other.embedding is None:
            return lexical
        weight = self.settings.embedding_weight
        embedded = sum(a * b for a, b in zip(article.embedding, other.embedding, strict=True))
        return (1 - weight) * lexical + weight * embedded

    def count_document(self, terms: Iterable[str]) -> None:
        """Count an article's terms in the document frequencies (copies are counted too,
        without being clustered: their original stands for them)."""
        self.documents += 1
        self.frequencies.update(set(terms))

    def uncount_document(self, terms: Iterable[str]) -> None:
        """Take a forgotten article's terms out of the document frequencies."""
        self.documents -= 1
        for term in set(terms):
            if self.frequencies.get(term, 0) <= 1:
                self.frequencies.pop(term, None)
            else:
                self.frequencies[term] -= 1

    def forget(self, article_id: str) -> None:
        """The article leaves the clusterer (with its story: the whole story is forgotten
        together); its terms stay counted until `uncount_document`."""
        for other in self.similarities.pop(article_id, {}):
            self.similarities[other].pop(article_id, None)
        for key in self.index_keys.pop(article_id, ()):
            indexed = self.articles_by_term[key]
            indexed.pop(article_id, None)
            if not indexed:
                del self.articles_by_term[key]
        if article_id in self.story_of:
            self._leave(article_id)
        self.articles.pop(article_id, None)
        self.arrival.pop(article_id, None)

    def _candidates(self, keys: Iterable[str], seen_at: datetime) -> list[str]:
        """Articles indexed under one of `keys`, seen within the window, in arrival order."""
        window = self.settings.window
        found = {other for key in keys for other in self.articles_by_term.get(key, ())}
        return sorted(
            (other for other in found if abs(self.articles[other].seen_at - seen_at) <= window),
            key=self.arrival.__getitem__,
        )

    def _recluster(
        self,
        article: ClusterArticle,
        similarities: dict[str, float],
        vectors: dict[str, dict[str, float]],
        weights: TermWeights,
        new_story_id: Callable[[], str],
    ) -> tuple[str, tuple[Move, ...]]:
        new = article.article_id
        stories = sorted(
            {self.story_of[other] for other in similarities},
            key=lambda story: self.arrival[self.members[story][0]],
        )
        group = [new, *(member for story in stories for member in self.members[story])]
        adjacent = self._neighbourhood(group, article, similarities, vectors, weights)
        k = self.settings.neighbours
        radius = {
            item: sum(sorted(adjacent[item].values(), reverse=True)[:k]) / k for item in group
        }
        days = {item: self._article(item, article).weekdays for item in group}
        sources = {item: self._article(item, article).source_id for item in group}

        def score(a: str, b: str) -> float:
            corrected = adjacent[a].get(b, 0.0) - (radius[a] + radius[b]) / 2
            if days[a] and days[b] and not days[a] & days[b]:
                corrected -= self.settings.weekday_penalty
            return corrected

        def may_join(a: set[str], b: set[str]) -> bool:
            if not self.settings.one_article_per_outlet:
                return True
            return not {sources[x] for x in a} & {sources[x] for x in b}

        clusters = average_link(group, score, may_join, self.settings.threshold)
        story_of = self._name(clusters, stories, new_story_id)
        moves = tuple(
            Move(member, self.story_of[member], story_of[member])
            for member in group[1:]
            if story_of[member] != self.story_of[member]
        )
        return story_of[new], moves

    def _neighbourhood(
        self,
        group: list[str],
        article: ClusterArticle,
        similarities: Mapping[str, float],
        vectors: dict[str, dict[str, float]],
        weights: TermWeights,
    ) -> dict[str, dict[str, float]]:
        """Each group member's similarities to its neighbours: as recorded (with the new
        article's added), but within the group weighed again with today's term weights:
        a recorded one was weighed when the later article came, and early in a stream
        every word looks rare."""
        new = article.article_id
        adjacent = {item: dict(self.similarities.get(item, {})) for item in group}
        adjacent[new] = dict(similarities)
        for other, similarity in similarities.items():
            adjacent[other][new] = similarity
        clustered = {item: self._article(item, article) for item in group}
        for item in group:
            if item not in vectors:  # the candidates' are computed already
                vectors[item] = weights.vector(clustered[item].terms)
        for a, b in itertools.combinations(group, 2):
            fresh = self._similarity(clustered[a], vectors[a], clustered[b], vectors[b])
            for one, other in ((a, b), (b, a)):
                if fresh >= self.settings.least_similarity:
                    adjacent[one][other] = fresh
                else:
                    adjacent[one].pop(other, None)
        return adjacent

    def _name(
        self, clusters: list[list[str]], stories: list[str], new_story_id: Callable[[], str]
    ) -> dict[str, str]:
        """Each cluster takes the id of the story it shares most articles with (each id
        once, the larger share first, then the older story); the rest get new ids."""
        shares = Counter(
            (index, self.story_of[member])
            for index, cluster in enumerate(clusters)
            for member in cluster
            if member in self.story_of
        )
        rank = {story: i for i, story in enumerate(stories)}
        named: dict[int, str] = {}
        for (index, story), _ in sorted(
            shares.items(), key=lambda share: (-share[1], rank[share[0][1]], share[0][0])
        ):
            if index not in named and story not in named.values():
                named[index] = story
        return {
            member: named.get(index) or named.setdefault(index, new_story_id())
            for index, cluster in enumerate(clusters)
            for member in cluster
        }

    def _article(self, article_id: str, new: ClusterArticle) -> ClusterArticle:
        return new if article_id == new.article_id else self.articles[article_id]

    def _join(self, article_id: str, story_id: str) -> None:
        self.story_of[article_id] = story_id
        members = self.members.setdefault(story_id, [])
        members.append(article_id)
        members.sort(key=self.arrival.__getitem__)

    def _leave(self, article_id: str) -> None:
        story_id = self.story_of.pop(article_id)
        self.members[story_id].remove(article_id)
        if not self.members[story_id]:
            del self.members[story_id]
