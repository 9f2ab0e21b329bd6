from shared.text import _STEMMER, SENTENCE_CHARS, first_words, words
from tests.eval_data import eval_file, require

SENTENCE = "Officials said the economy grew 2.5% to $1,200 billion, the IMF's figure."


def test_a_sentences_words_and_numbers_in_order_as_written() -> None:
    assert words(SENTENCE) == (
        "Officials", "said", "the", "economy", "grew", "2.5", "to", "1,200", "billion",
        "the", "IMF's", "figure",
    )  # fmt: skip


def test_a_long_text_is_read_as_its_sentences_are() -> None:
    article = " ".join([SENTENCE] * 20)
    assert len(article) > SENTENCE_CHARS
    assert words(article) == words(SENTENCE) * 20


def test_a_word_keeps_its_combining_marks() -> None:
    assert words("हिन्दी समाचार") == ("हिन्दी", "समाचार")


def test_the_first_words_of_a_text_are_its_words_cut_short() -> None:
    article = " ".join([SENTENCE] * 20)
    assert first_words(article, 15) == list(words(article)[:15])
    assert first_words(SENTENCE, 100) == list(words(SENTENCE))


def test_the_c_stemmer_stems_every_eval_word_as_snowballs_python_one() -> None:
    # The deduplicator's journal keeps the stems it clustered on: the C stemmer that
    # snowballstemmer hands out must stem as its pure-Python one did, word for word.
    from snowballstemmer.english_stemmer import EnglishStemmer

    assert type(_STEMMER).__module__ == "Stemmer"  # PyStemmer is installed and used
    vocabulary = {
        word.lower()
        for line in require(eval_file("clustering-dev.jsonl")).read_text().splitlines()
        for word in words(line)
    }
    python = EnglishStemmer()
    differing = [w for w in sorted(vocabulary) if _STEMMER.stemWord(w) != python.stemWord(w)]
    assert len(vocabulary) > 5_000
    assert differing == []
