from services.summarizer.material import MAX_TAGS, StoryMaterial
from shared.events import ArticleFetched
from tests.factories import make_article, make_story
from tests.unit.summarizer.stories import STORY

# Ten towns, each named once by both articles: tags can only be told apart by their order.
TOWNS = "Aarhus Odense Aalborg Esbjerg Randers Kolding Horsens Vejle Roskilde Herning".split()


def _tour(url: str, towns: list[str]) -> ArticleFetched:
    text = " ".join(f"The storm reached {town} in the night." for town in towns)
    return make_article(url, title="Storm crosses the country", text=text)


def test_tags_are_the_names_most_articles_mention():
    tags = StoryMaterial(STORY).tags()

    assert tags[0] == "Oresund"  # in every title and text
    assert "Harbour" not in tags  # one outlet's name for itself


def test_equally_mentioned_names_are_tagged_in_the_order_the_story_first_names_them():
    story = make_story(
        _tour("https://a.example/storm", TOWNS), _tour("https://b.example/storm", TOWNS[::-1])
    )

    # Whatever the process's string hashing, so every replica tags a story alike.
    assert StoryMaterial(story).tags() == TOWNS[:MAX_TAGS]
