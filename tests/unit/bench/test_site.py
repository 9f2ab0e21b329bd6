from bench.site import search_path

OPEN, CLOSE = "\u2018", "\u2019"  # curly single quotes, as headlines print them


def test_a_search_is_for_the_headlines_longest_word_without_its_quotes() -> None:
    assert search_path(f"Researchers warn of {OPEN}poisoning{CLOSE}") == "/search?q=researchers"
    assert search_path(f"AI: the {OPEN}poisoning{CLOSE} risk") == "/search?q=poisoning"


def test_a_word_with_an_accent_is_percent_encoded_for_wrk() -> None:
    assert search_path("Café débâcle") == "/search?q=d%C3%A9b%C3%A2cle"
