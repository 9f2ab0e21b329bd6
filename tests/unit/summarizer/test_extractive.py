from services.summarizer.extractive import lead_order, rank, select, story_sentences, summarize
from tests.unit.summarizer.stories import COAST, HARBOUR, NORDIC

DOCUMENTS = [HARBOUR.text, NORDIC.text, COAST.text]


def test_sentences_come_cleaned_without_captions_or_repeats():
    texts = [s.text for s in story_sentences([*DOCUMENTS, HARBOUR.text])]
    assert texts[0].startswith("A storm with gusts of 140 km/h closed the Oresund bridge")
    assert not any("Getty" in t for t in texts)
    assert len(texts) == len(set(texts))


def test_the_summary_stays_within_its_limit_and_reads_in_lead_order():
    sentences = story_sentences(DOCUMENTS)
    picked = select(sentences, rank(sentences), max_words=60, limit_words=80)
    assert 0 < sum(len(s.text.split()) for s in picked) <= 80
    assert lead_order(picked) == sorted(picked, key=lambda s: (s.position, s.document))


def test_the_summary_does_not_repeat_what_another_outlet_said():
    texts = [s.text for s in summarize(DOCUMENTS, max_words=80)]
    # Harbour News and Nordic Daily both open with the 14-hour closure, in other words.
    assert len([t for t in texts if "14 hours" in t]) == 1


def test_opening_sentences_that_tell_the_story_rank_above_later_detail():
    sentences = story_sentences(DOCUMENTS)
    scores = rank(sentences)
    best = max(range(len(sentences)), key=lambda i: scores[i])
    assert sentences[best].position == 0
