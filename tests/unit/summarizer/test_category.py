from services.summarizer.category import categorise


def test_the_outlets_hint_wins_over_the_words():
    assert categorise(["The team won the cup final."], ["Business", "business", None]) == "Business"


def test_an_unknown_hint_is_ignored_and_the_words_decide():
    texts = ["The team won the championship match after the coach changed players."]
    assert categorise(texts, ["frontpage"]) == "Sports"


def test_a_story_with_no_telling_words_is_world_news():
    assert categorise(["Something happened somewhere."]) == "World"
