import re

from services.summarizer.composer import GateReport, compose
from services.summarizer.draft import Draft, ExtractiveBackend
from services.summarizer.material import StoryMaterial
from shared.events import StorySummarized
from tests.factories import make_article, make_story
from tests.unit.summarizer.stories import COAST, HARBOUR, NORDIC, STORY


def extractive_summary() -> tuple[StorySummarized, GateReport]:
    material = StoryMaterial(STORY)
    return compose(material, ExtractiveBackend(summary_words=120).write(material))


def test_an_extractive_summary_has_five_grounded_key_points_and_credits_every_outlet():
    summary, report = extractive_summary()
    assert len(summary.key_points) == 5
    assert all(point.article_ids for point in summary.key_points)
    assert {s.source_name for s in summary.sources} == {
        "Harbour News",
        "Nordic Daily",
        "Coast Times",
    }
    assert summary.lead_image is not None
    assert summary.lead_image.credit == "Harbour News"
    assert summary.published_at == HARBOUR.published_at
    assert summary.category == "World"
    assert summary.summarizer == "extractive"
    assert sum(n for (part, outcome, _), n in report.outcomes.items() if outcome == "dropped") == 0


def test_the_summary_repeats_no_key_point_and_is_within_the_sites_length():
    summary, _ = extractive_summary()
    words = sum(len(s.text.split()) for s in summary.summary)
    assert 20 <= words <= 250
    key_points = {p.text for p in summary.key_points}
    assert [s.text for s in summary.summary if s.text in key_points] == []


def test_every_published_sentence_carries_the_passage_that_says_it():
    summary, _ = extractive_summary()
    articles = {a.article_id: f"{a.title}\n{a.text}" for a in STORY.articles}
    for sentence in summary.key_points + summary.summary:
        assert sentence.evidence is not None
        assert sentence.evidence.article_id in sentence.article_ids
        said = articles[sentence.evidence.article_id][
            sentence.evidence.start : sentence.evidence.end
        ]
        assert said == sentence.evidence.passage
        assert sentence.text in " ".join(said.split())


def test_a_teasers_cut_sentence_is_not_published():
    material = StoryMaterial(STORY)
    cut = "The bridge operator said..."
    draft = Draft(headline=NORDIC.title, key_points=(), summary=(cut,))
    summary, _ = compose(material, draft)
    assert cut not in [s.text for s in summary.key_points + summary.summary]


def test_a_key_point_is_cited_to_the_articles_that_say_it_not_those_holding_its_numbers():
    # Harbour News has the 2,300 lorries too, but not that they waited at both ends.
    point = "About 2,300 lorries waited at both ends of the bridge."
    draft = Draft(headline=NORDIC.title, key_points=(point,), summary=(point,))
    summary, _ = compose(StoryMaterial(STORY), draft)
    assert summary.key_points[0].text == point
    assert set(summary.key_points[0].article_ids) == {NORDIC.article_id}
    assert HARBOUR.article_id not in summary.key_points[0].article_ids


def test_an_invented_number_never_publishes_the_point_is_repaired_from_the_sources():
    material = StoryMaterial(STORY)
    draft = Draft(
        headline="Storm closes Oresund bridge",
        key_points=(
            "The Oresund bridge was shut for 14 hours on Tuesday.",
            "Around 300 lorries were damaged by the storm.",  # no source says 300
        ),
        summary=(
            "The Oresund bridge was shut for 14 hours on Tuesday.",
            "Half of the drivers slept in Malmo hotels.",  # no source says half
        ),
        tags=("Oresund", "Atlantis"),
        writer="openai:test",
    )
    summary, report = compose(material, draft)
    published = " ".join(p.text for p in summary.key_points + summary.summary)
    assert not re.search(r"(?<![\d,])300\b", published)
    assert "Half" not in published
    assert summary.key_points[0].text == "The Oresund bridge was shut for 14 hours on Tuesday."
    assert len(summary.key_points) == 5
    assert summary.tags == ("Oresund",)
    assert report.outcomes[("key_point", "repaired", "number")] == 1  # "half", "300"
    assert report.outcomes[("summary", "dropped", "number")] == 1


def test_an_ungrounded_headline_is_replaced_by_an_outlets_title():
    material = StoryMaterial(STORY)
    draft = Draft(headline="Storm kills 40 in Oslo", key_points=(), summary=())
    summary, report = compose(material, draft)
    assert summary.headline in {HARBOUR.title, NORDIC.title, COAST.title}
    assert report.outcomes[("headline", "repaired", "number")] == 1


def test_a_story_without_sentences_is_told_by_its_headlines():
    teaser = make_article(
        "https://teaser.example/1",
        title="Storm closes Oresund bridge for 14 hours",
        text="Watch the video",
    )
    material = StoryMaterial(make_story(teaser))
    summary, _ = compose(material, ExtractiveBackend(summary_words=120).write(material))
    assert [p.text for p in summary.key_points] == ["Storm closes Oresund bridge for 14 hours."]
    assert summary.key_points[0].article_ids == (teaser.article_id,)


def test_a_story_of_points_whose_one_full_sentence_is_cut_off_is_told_by_its_headline():
    # Points without full stops, then a teaser's "...": no sentence of its text publishes.
    points = make_article(
        "https://points.example/1",
        title="Final evacuations resume after deadly Kabul attacks",
        text=(
            "Evacuations from Kabul airport enter their final stage after twin bomb attacks\n\n"
            "Ninety people have been killed, most of them Afghan civilians\n\n"
            "The evacuations are designed to be completed by 31 August..."
        ),
    )
    material = StoryMaterial(make_story(points))
    summary, _ = compose(material, ExtractiveBackend(summary_words=120).write(material))
    assert [p.text for p in summary.key_points] == [
        "Final evacuations resume after deadly Kabul attacks."
    ]
    assert summary.key_points[0].evidence is not None


def test_a_story_of_long_sentences_still_gets_key_points():
    long_sentence = (
        "Actress and activist Rose McGowan pushed back on critics of her Monday interview on "
        "Fox News, adding that she also had to dispatch with the predisposition to avoid the "
        "network before having a constructive and amiable conversation with the host."
    )
    article = make_article(
        "https://long.example/1", title="McGowan pushes back", text=long_sentence
    )
    material = StoryMaterial(make_story(article))
    summary, _ = compose(material, ExtractiveBackend(summary_words=120).write(material))
    assert [p.text for p in summary.key_points] == [long_sentence]
