"""The grounding gate: a sentence is published only where a passage of one of the story's
articles says it.

A passage is a sentence of an article, or two or three adjacent ones. It supports a
sentence when:

- **facts**: every number of the sentence is in it, in any written form ("4%" is
  "4 percent", "11,000" is "11000", "two" is "2"), and every name: a capitalised word that
  is not an ordinary word of the story (an opening word counts when the articles never
  write it in lower case and it is no stopword), an acronym, a word of a script without
  case;
- **polarity**: it negates as often as the sentence does (not, no, never, n't, ...);
- **coverage**: it holds most of the sentence's content words (stems);
- **quotes**: what the sentence puts in quotation marks is in the article word for word.

A sentence of an article that speaks to a language model ("ignore the previous
instructions and ...") is no passage and part of none.

The verdict names the supporting articles and the passage (article, character span), or
why nothing supports the sentence.
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache

from services.summarizer.sentences import is_instruction, split_sentences
from shared.text import STOPWORDS, stem, words

MIN_COVERAGE = 0.8  # of a sentence's content words, in the supporting passage
PASSAGE_SENTENCES = 3  # at most, adjacent
REASONS = ("number", "name", "negation", "quote", "coverage")

_SMALL = (
    "zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen "
    "fifteen sixteen seventeen eighteen nineteen twenty"
).split()
_TENS = {"thirty": 30, "forty": 40, "fifty": 50, "sixty": 60, "seventy": 70, "eighty": 80,
         "ninety": 90}  # fmt: skip
NUMBER_WORDS = {word: str(n) for n, word in enumerate(_SMALL)} | {
    word: str(n) for word, n in _TENS.items()
}
_SCALES = frozenset("hundred thousand million billion trillion dozen half quarter".split())
_NEGATIONS = frozenset(
    "not no never cannot nobody nothing none neither nor without nowhere".split()
)
# Capitalised words that are not names wherever they stand.
_NOT_NAMES = STOPWORDS | frozenset(
    "mr mrs ms dr i monday tuesday wednesday thursday friday saturday sunday".split()
)
_QUOTED = re.compile(r"[\"\u201c\u201d]([^\"\u201c\u201d]{3,})[\"\u201c\u201d]")
_JOINS = re.compile(r",\s+and\s+|;\s+")
_PERCENT = re.compile(r"%|\bper\s?cent\b", re.IGNORECASE)


def _folded_quotes(text: str) -> str:
    """`text` with its quote marks, spacing and digit grouping ("15,000") made plain."""
    text = re.sub(r"[\u2018\u2019\u201a\u201b`\u00b4]", "'", text)
    text = re.sub(r"[\u201c\u201d\u201e\u201f\u00ab\u00bb]", '"', text)
    text = re.sub(r"(?<=\d),(?=\d{3})", "", text)
    return " ".join(text.split())


def _number(token: str) -> str:
    return token.replace(",", "").rstrip(".")


def _caseless(word: str) -> bool:
    first = word[0]
    return first.isalpha() and not first.isupper() and not first.islower()


def negations(text: str) -> int:
    """How many times `text` negates."""
    return _negations_among(words(text))


def _negations_among(found: Sequence[str]) -> int:
    return sum(
        word.lower() in _NEGATIONS or word.lower().endswith(("n't", "n\u2019t")) for word in found
    )


@dataclass(frozen=True)
class Passage:
    article_id: str
    start: int  # character span in the article's text as the gate was given it
    end: int
    text: str  # its sentences, whitespace folded, as the checks read them
    as_written: str  # the article's own characters over the span
    numbers: frozenset[str]
    words: frozenset[str]  # as written, possessive dropped
    stems: frozenset[str]
    negations: int


@dataclass(frozen=True)
class _Sentence:
    """What the checks read of one sentence, read once for every passage it is part of."""

    text: str
    numbers: frozenset[str]
    words: frozenset[str]
    stems: frozenset[str]
    negations: int

    @classmethod
    def of(cls, text: str) -> _Sentence:
        found = words(text)
        return cls(
            text,
            number_facts(text, found),
            frozenset(w.replace("\u2019", "'").removesuffix("'s") for w in found),
            frozenset(stem(w) for w in found),
            _negations_among(found),
        )


def number_facts(text: str, found_words: Sequence[str] | None = None) -> frozenset[str]:
    """Numbers as the gate compares them: digits without separators, number words as
    digits, "percent" for "%", and the scale words (million, ...)."""
    found: set[str] = set()
    for word in words(text) if found_words is None else found_words:
        lowered = word.lower()
        if word[0].isdigit():
            found.add(_number(word))
        elif lowered in NUMBER_WORDS:
            found.add(NUMBER_WORDS[lowered])
        elif lowered in _SCALES:
            found.add(lowered)
    if _PERCENT.search(text):
        found.add("percent")
    return frozenset(found)


@dataclass(frozen=True)
class Verdict:
    supporting: tuple[str, ...]  # articles with a passage that supports the sentence
    passage: Passage | None  # the best of those passages
    reason: str | None = None  # why nothing supports it: one of REASONS
    passages: tuple[Passage, ...] = ()  # a supporting passage of each supporting article

    @property
    def grounded(self) -> bool:
        return self.passage is not None


# Each sentence is checked, and each article read for tags, again with every version of
# its story: which of its words may be names is kept.
@lru_cache(maxsize=4096)
def _name_candidates(text: str) -> tuple[tuple[str, bool], ...]:
    """The words of `text` that are names wherever they stand, and the opening words that
    are names unless the story writes them in lower case (True): as written, in order."""
    found = []
    for part in split_sentences(text) or [text]:
        for index, raw in enumerate(words(part)):
            token = raw.replace("\u2019", "'").removesuffix("'s")
            if not token or token[0].isdigit() or token.lower() in NUMBER_WORDS:
                continue
            if _caseless(token):
                found.append((token, False))
            elif token[0].isupper() and token.lower() not in _NOT_NAMES:
                acronym = len(token) > 1 and token.isupper()
                found.append((token, index == 0 and not acronym))
    return tuple(found)


class GroundingGate:
    """Checks sentences against the passages of a story's articles."""

    def __init__(self, articles: Mapping[str, str]) -> None:
        # article id -> title and text
        self.articles = dict(articles)
        parts_read: dict[str, ArticleReading] = {}  # a copy's body is read once
        self._windows = {
            a: Passages(a, text, read_article(text, parts_read))
            for a, text in self.articles.items()
        }
        # stem -> the sentences holding it: only passages whose sentences hold most of a
        # claim's content words can support it, so only those are checked.
        self._holding: defaultdict[str, list[tuple[str, int]]] = defaultdict(list)
        # Every passage is made of sentences that are passages of their own: theirs are
        # all the numbers and words of the story's passages.
        evidence: list[_Sentence] = []
        for article_id, windows in self._windows.items():
            for index, sentence in windows.evidence():
                evidence.append(sentence)
                for sentence_stem in sentence.stems:
                    self._holding[sentence_stem].append((article_id, index))
        self._all_numbers = frozenset().union(*(s.numbers for s in evidence))
        self._all_words = frozenset().union(*(s.words for s in evidence))
        self._folded = {a: windows.reading.folded for a, windows in self._windows.items()}
        # Each article's words as written, for tags; those in lower case, for names.
        self._article_words = [windows.reading.words for windows in self._windows.values()]
        self._lower_words = frozenset(
            w for written in self._article_words for w in written if w[0].islower()
        )

    def names(self, sentence: str) -> frozenset[str]:
        """The names `sentence` states, as written."""
        return frozenset(self.names_in_order(sentence))

    def names_in_order(self, text: str) -> dict[str, None]:
        """The names `text` states, as written, in the order it first states them."""
        # An opening word is capitalised anyway: a name only if the story never writes it
        # as an ordinary word.
        return {
            token: None
            for token, opening in _name_candidates(text)
            if not opening or token.lower() not in self._lower_words
        }

    def check(self, sentence: str) -> Verdict:
        verdict = self._check_whole(sentence)
        if verdict.grounded:
            return verdict
        # Two statements joined into one sentence ("..., and ..."): each must be said by a
        # passage of one article, the same for both.
        parts = [p for p in _JOINS.split(sentence) if p.strip()]
        if len(parts) < 2:
            return verdict
        part_verdicts = [self._check_whole(part) for part in parts]
        common = set.intersection(*(set(v.supporting) for v in part_verdicts))
        if not common:
            return verdict
        # The evidence shown: what the first statement's passage in a common article says.
        evidence = next(p for p in part_verdicts[0].passages if p.article_id in common)
        return Verdict(tuple(a for a in self.articles if a in common), evidence)

    def _check_whole(self, sentence: str) -> Verdict:
        numbers = number_facts(sentence)
        names = self.names(sentence)
        content = [stem(w) for w in words(sentence) if w.lower() not in STOPWORDS]
        polarity = negations(sentence)
        quotes = [_folded_quotes(q) for q in _QUOTED.findall(sentence)]
        quoted_in = {a for a, folded in self._folded.items() if all(q in folded for q in quotes)}

        def says_it(passage: Passage) -> bool:  # the facts, and most of the words
            return (
                numbers <= passage.numbers
                and names <= passage.words
                and _coverage(content, passage) >= MIN_COVERAGE
            )

        hits: Counter[tuple[str, int]] = Counter()
        for content_stem, times in Counter(content).items():
            for held_in in self._holding.get(content_stem, ()):
                hits[held_in] += times
        candidates = set()  # windows whose sentences hold enough of the words between them
        if not content:
            candidates = {(a, run) for a, windows in self._windows.items() for run in windows}
        enough = MIN_COVERAGE * len(content)
        # Only a window with a sentence that holds some of the words can hold enough.
        touched = {(a, run) for a, i in hits for run in self._windows[a].reading.covering[i]}
        for article_id, (first, last) in touched:
            if sum(hits[(article_id, i)] for i in range(first, last + 1)) >= enough:
                candidates.add((article_id, (first, last)))
        said: dict[tuple[str, tuple[int, int]], bool] = {}

        def window_says_it(article_id: str, span: tuple[int, int]) -> bool:
            key = (article_id, span)
            if key not in said:
                passage = self._windows[article_id][span]
                said[key] = key in candidates and says_it(passage)
            return said[key]

        reasons: list[str] = []
        supporting: dict[str, Passage] = {}
        best: tuple[float, Passage] | None = None
        for article_id, (first, last) in sorted(candidates):
            passage = self._windows[article_id][(first, last)]
            if not window_says_it(article_id, (first, last)):
                reasons.append(_why_not(passage, numbers, names))
                continue
            # Only the smallest passages that say it decide: a sentence beside it must not
            # lend its "not" to a claim that negates what the passage says.
            if last > first and (
                window_says_it(article_id, (first + 1, last))
                or window_says_it(article_id, (first, last - 1))
            ):
                continue
            if passage.negations != polarity:
                reasons.append("negation")
            elif article_id not in quoted_in:
                reasons.append("quote")
            else:
                supporting.setdefault(article_id, passage)
                score = _coverage(content, passage) - len(passage.text) / 1e6
                if best is None or score > best[0]:
                    best = (score, passage)
        if best is not None:
            return Verdict(tuple(supporting), best[1], passages=tuple(supporting.values()))
        return Verdict((), None, self._main_reason(reasons, names, numbers))

    def _main_reason(
        self, reasons: list[str], names: frozenset[str], numbers: frozenset[str]
    ) -> str:
        """Why no passage supports a sentence: a fact no article holds comes first; else
        what stopped the passages that came closest."""
        if not numbers <= self._all_numbers:
            return "number"
        if not names <= self._all_words:
            return "name"
        for reason in ("quote", "negation", "coverage", "name", "number"):
            if reason in reasons:
                return reason
        return "coverage"

    def mentions(self, name: str) -> bool:
        """Whether one article has every word of `name` as written (for tags)."""
        needed = frozenset(words(name))
        return bool(needed) and any(needed <= written for written in self._article_words)

    def grounded_share(self, sentences: Iterable[str]) -> float:
        verdicts = [self.check(s) for s in sentences]
        return sum(v.grounded for v in verdicts) / len(verdicts) if verdicts else 1.0


@dataclass(frozen=True)
class ArticleReading:
    """What the gate reads of an article's text, whatever story it is in."""

    sentences: tuple[str, ...]
    spans: tuple[tuple[int, int], ...]  # of each sentence in the text
    read: tuple[_Sentence, ...]
    instruction: tuple[bool, ...]  # whether each sentence is an injected instruction
    runs: tuple[tuple[int, int], ...]  # the passages: first and last sentence
    covering: tuple[tuple[tuple[int, int], ...], ...]  # the runs each sentence is in
    folded: str  # the text as quotes are checked against it
    words: frozenset[str]  # as written


# Not kept between versions of a story, as an article's sentences are (extractive.py): a
# reading takes ~45 kB, and 1,024 of them (44 MiB) saved a tenth of summarising a
# backfill's stories, of whose copies each version reads every one.
def read_article(text: str, parts_read: dict[str, ArticleReading] | None = None) -> ArticleReading:
    """What the gate reads of `text`. Its headline (the first line) and body are read
    apart: a syndicated copy's body is its original's, and one found in `parts_read` is
    not read again. Both read as the whole would (see `_joined`)."""
    head, newline, body = text.partition("\n")
    if not (newline and head and body) or head[-1].isspace() or body[0].isspace():
        return _read(text)
    known = {} if parts_read is None else parts_read
    for part in (head, body):
        if part not in known:
            known[part] = _read(part)
    return _joined(known[head], known[body], len(head) + 1)


def _read(text: str) -> ArticleReading:
    sentences = split_sentences(text)
    instruction = tuple(is_instruction(sentence) for sentence in sentences)
    runs, covering = _passage_runs(instruction)
    return ArticleReading(
        tuple(sentences),
        tuple(_spans(text, sentences)),
        tuple(_Sentence.of(sentence) for sentence in sentences),
        instruction,
        runs,
        covering,
        _folded_quotes(text),
        frozenset(words(text)),
    )


def _joined(head: ArticleReading, body: ArticleReading, offset: int) -> ArticleReading:
    """The reading of the head, a line break and the body (at `offset`), made of theirs.

    The same as reading the whole when the head ends and the body starts with other than
    whitespace: the line break then ends a paragraph, and every other paragraph break,
    sentence, word and quote lies within one of the two; spans in the body move by
    `offset`, and only the passages across the break are new."""
    instruction = head.instruction + body.instruction
    runs, covering = _passage_runs(instruction)
    return ArticleReading(
        head.sentences + body.sentences,
        head.spans + tuple((start + offset, end + offset) for start, end in body.spans),
        head.read + body.read,
        instruction,
        runs,
        covering,
        f"{head.folded} {body.folded}",
        head.words | body.words,
    )


def _passage_runs(
    instruction: tuple[bool, ...],
) -> tuple[tuple[tuple[int, int], ...], tuple[tuple[tuple[int, int], ...], ...]]:
    """The passages (first and last sentence) of a text whose sentences are injected
    instructions or not, and the passages each sentence is in."""
    runs: list[tuple[int, int]] = []
    covering: list[list[tuple[int, int]]] = [[] for _ in instruction]
    for first in range(len(instruction)):
        for last in range(first, min(first + PASSAGE_SENTENCES, len(instruction))):
            # An injected instruction supports nothing, nor do passages holding it.
            if instruction[last]:
                break
            runs.append((first, last))
            for index in range(first, last + 1):
                covering[index].append((first, last))
    return tuple(runs), tuple(map(tuple, covering))


class Passages(Mapping[tuple[int, int], Passage]):
    """Each sentence of an article's text, and each run of up to PASSAGE_SENTENCES adjacent
    ones, by the numbers of their first and last sentence. A passage is put together when
    first asked for: a check looks at the few whose sentences hold its words."""

    def __init__(self, article_id: str, text: str, reading: ArticleReading) -> None:
        self.article_id, self.text = article_id, text
        self.reading = reading
        self.runs: dict[tuple[int, int], Passage | None] = dict.fromkeys(self.reading.runs)

    def evidence(self) -> Iterator[tuple[int, _Sentence]]:
        """The sentences that are passages (all but injected instructions), by number."""
        reading = self.reading
        return ((i, r) for i, r in enumerate(reading.read) if not reading.instruction[i])

    def __getitem__(self, run: tuple[int, int]) -> Passage:
        passage = self.runs[run]
        if passage is None:
            first, last = run
            reading = self.reading
            start, end = reading.spans[first][0], reading.spans[last][1]
            part = reading.read[first : last + 1]
            passage = self.runs[run] = Passage(
                self.article_id,
                start,
                end,
                " ".join(reading.sentences[first : last + 1]),
                self.text[start:end],
                frozenset().union(*(r.numbers for r in part)),
                frozenset().union(*(r.words for r in part)),
                frozenset().union(*(r.stems for r in part)),
                sum(r.negations for r in part),
            )
        return passage

    def __iter__(self) -> Iterator[tuple[int, int]]:
        return iter(self.runs)

    def __len__(self) -> int:
        return len(self.runs)


def _spans(text: str, sentences: list[str]) -> Iterator[tuple[int, int]]:
    """Where each sentence (whitespace folded) stands in `text`, in order: each of its
    words found after the one before."""
    position = 0
    for sentence in sentences:
        start = end = -1
        for word in sentence.split():
            found = text.find(word, position if end < 0 else end)
            if found < 0:
                break
            start = found if start < 0 else start
            end = found + len(word)
        if start < 0 or end < 0:
            yield position, position  # not found as written: no span
            continue
        yield start, end
        position = end


def _coverage(content: list[str], passage: Passage) -> float:
    return sum(s in passage.stems for s in content) / len(content) if content else 1.0


def _why_not(passage: Passage, numbers: frozenset[str], names: frozenset[str]) -> str:
    if not numbers <= passage.numbers:
        return "number"
    if not names <= passage.words:
        return "name"
    return "coverage"
