import pytest

from bench.site import _milliseconds, search_path

OPEN, CLOSE = "\u2018", "\u2019"  # curly single quotes, as headlines print them


def test_a_search_is_for_the_headlines_longest_word_without_its_quotes() -> None:
    assert search_path(f"Researchers warn of {OPEN}poisoning{CLOSE}") == "/search?q=researchers"
    assert search_path(f"AI: the {OPEN}poisoning{CLOSE} risk") == "/search?q=poisoning"


def test_a_word_with_an_accent_is_percent_encoded_for_wrk() -> None:
    assert search_path("Café débâcle") == "/search?q=d%C3%A9b%C3%A2cle"


def test_wrks_times_read_in_milliseconds_whatever_their_unit() -> None:
    assert [_milliseconds(t) for t in ("850.00us", "235.36ms", "1.20s", "2.00m")] == [
        0.85,
        235.36,
        1200.0,
        120_000.0,
    ]


def test_a_time_wrk_would_not_print_is_refused_saying_what_it_was() -> None:
    with pytest.raises(ValueError, match="'-nan'"):
        _milliseconds("-nan")
