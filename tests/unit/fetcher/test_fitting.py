"""An entry's event is cut to fit what a producer can send, never refused for its size."""

from __future__ import annotations

from services.fetcher.fetcher import fitted
from tests.factories import make_article


def test_an_entry_over_the_event_limit_is_cut_at_a_character_to_fit_it():
    text = "\U0001d400 台风登陆上海。" * 20_000  # 200,000 characters, 560 KB in UTF-8
    article = make_article("https://huge.example/typhoon", title="台风登陆上海", text=text)

    cut = fitted(article, 300_000)

    assert len(cut.model_dump_json().encode()) <= 300_000
    assert text.startswith(cut.text)
    assert len(cut.text) > 90_000  # as much as fits, not an empty article


def test_an_entry_that_fits_is_left_as_it_is():
    article = make_article("https://small.example/a", title="Small", text="A short text.")
    assert fitted(article, 1_000_000) == article
