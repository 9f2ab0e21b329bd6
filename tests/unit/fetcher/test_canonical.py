import pytest

from services.fetcher.canonical import canonical_url


@pytest.mark.parametrize(
    ("given", "canonical"),
    [
        (
            "HTTPS://WWW.Example.COM:443/a/?utm_source=x&b=2&a=1#top",
            "https://www.example.com/a?a=1&b=2",
        ),
        ("https://example.com/story?fbclid=abc&gclid=def", "https://example.com/story"),
        (
            "https://amp.theguardian.com/world/2021/aug/10/x",
            "https://theguardian.com/world/2021/aug/10/x",
        ),
        ("https://example.com/news/story/amp/", "https://example.com/news/story"),
        ("https://example.com/news/story.amp", "https://example.com/news/story"),
        ("http://example.com:8080//a//b", "http://example.com:8080/a/b"),
        ("http://example.com", "http://example.com/"),
    ],
)
def test_variants_of_one_article_share_one_canonical_url(given: str, canonical: str):
    assert canonical_url(given) == canonical


def test_parameters_that_name_the_article_are_kept():
    assert canonical_url("https://example.com/article?id=42&page=2") == (
        "https://example.com/article?id=42&page=2"
    )
