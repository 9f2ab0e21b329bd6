from services.summarizer.sentences import clean, is_story_sentence, split_sentences


def test_abbreviations_initials_and_times_do_not_end_a_sentence():
    text = "Mr. Smith went to the U.S. Capitol on Jan. 5 at 5 p.m. today. He left later on."
    assert split_sentences(text) == [
        "Mr. Smith went to the U.S. Capitol on Jan. 5 at 5 p.m. today.",
        "He left later on.",
    ]


def test_a_closing_quote_stays_with_its_sentence():
    text = 'He said "the bridge is closed for now." Traffic stopped at once.'
    assert split_sentences(text) == [
        'He said "the bridge is closed for now."',
        "Traffic stopped at once.",
    ]


def test_paragraphs_split_even_without_a_full_stop():
    assert split_sentences("Play Facebook\n\nTwitter\n\nThe storm came ashore today.") == [
        "Play Facebook",
        "Twitter",
        "The storm came ashore today.",
    ]


def test_captions_widgets_and_fragments_are_not_story_sentences():
    assert not is_story_sentence("Photo: Getty Images")
    assert not is_story_sentence("Embed this video on your site with the code below.")
    assert not is_story_sentence("Too short to say much.")
    assert not is_story_sentence("A headline without a full stop at its end here")
    assert is_story_sentence("The storm closed the bridge between Denmark and Sweden.")


def test_a_dateline_is_removed():
    assert (
        clean("COPENHAGEN (Reuters) - A storm closed the bridge.") == "A storm closed the bridge."
    )
    assert clean("(CNN) -- A storm closed the bridge.") == "A storm closed the bridge."
