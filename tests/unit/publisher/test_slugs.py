from services.publisher.slugs import slugify


def test_a_slug_is_the_headlines_words_and_a_short_id():
    assert slugify("Storm closes Öresund bridge: 14 hours!", "5f3a9c" + "0" * 26) == (
        "storm-closes-oresund-bridge-14-hours-5f3a9c"
    )


def test_a_headline_without_latin_letters_still_gets_a_slug():
    assert slugify("北朝鮮", "abcdef" * 5 + "ab") == "abcdefabcdef"


def test_a_long_headline_is_cut_at_a_word():
    slug = slugify("word " * 40, "1" * 32)
    assert len(slug) <= 80 + 7
    assert slug.endswith("word-111111")
