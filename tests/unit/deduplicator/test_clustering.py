"""The online clusterer over the in-memory index, on small realistic streams."""

from __future__ import annotations

import json
import random
from datetime import UTC, datetime, timedelta

from services.deduplicator.clustering import ClusteringSettings
from services.deduplicator.evaluation import LabelledArticle, cluster_stream, read_labelled

T0 = datetime(2021, 6, 23, 12, tzinfo=UTC)

STREAM = [
    (
        "inf-1",
        "inf",
        "Bipartisan senators strike infrastructure deal with Biden",
        "A group of senators announced a deal with President Biden on a $579 billion "
        "infrastructure package after weeks of talks.",
        "Breitbart",
    ),
    (
        "vax-1",
        "vax",
        "Pfizer asks FDA to authorize vaccine booster for teens",
        "Pfizer and BioNTech asked the Food and Drug Administration to authorize a booster "
        "dose of their Covid vaccine for adolescents.",
        "CNN",
    ),
    (
        "inf-2",
        "inf",
        "Biden, senators reach infrastructure deal",
        "President Biden and a bipartisan group of senators reached a deal on infrastructure, "
        "a $579 billion package of new spending on roads and bridges.",
        "Reuters",
    ),
    (
        "vax-2",
        "vax",
        "FDA weighs Pfizer booster shots for adolescents",
        "The Food and Drug Administration is weighing a request from Pfizer and BioNTech to "
        "authorize Covid vaccine booster doses for adolescents.",
        "Fox News",
    ),
    (
        "inf-3",
        "inf",
        "Infrastructure deal: what is in the senators' $579 billion plan",
        "The bipartisan infrastructure deal Biden struck with senators includes $579 billion "
        "in new spending.",
        "New York Times",
    ),
]


def stream(rows=STREAM) -> list[LabelledArticle]:
    return [
        LabelledArticle(id, cluster, title, text, source, T0 + timedelta(minutes=i))
        for i, (id, cluster, title, text, source) in enumerate(rows)
    ]


def test_articles_about_one_event_from_different_outlets_form_one_story():
    story_of = cluster_stream(stream())
    assert story_of["inf-1"] == story_of["inf-2"] == story_of["inf-3"]
    assert story_of["vax-1"] == story_of["vax-2"]
    assert story_of["inf-1"] != story_of["vax-1"]


def test_one_outlet_does_not_get_two_articles_into_one_story():
    rows = [*STREAM[:3], ("inf-4", "inf", STREAM[2][2], STREAM[2][3], "Reuters")]
    story_of = cluster_stream(stream(rows))
    assert story_of["inf-4"] != story_of["inf-2"]


def test_lines_sharing_an_id_are_each_scored_as_their_own_article(tmp_path):
    rows = [
        {"id": "empty", "cluster": c, "title": t, "text": "", "source": "S", "published": p}
        for c, t, p in (
            ("a", "Senators strike a deal", "2021-06-23T12:00:00+00:00"),
            ("b", "Floods in Europe", "2021-06-23T13:00:00+00:00"),
        )
    ]
    path = tmp_path / "labelled.jsonl"
    path.write_text("\n".join(json.dumps(row) for row in rows))

    articles = read_labelled(path)

    assert [a.id for a in articles] == ["empty", "empty#2"]
    assert [a.cluster for a in articles] == ["a", "b"]


def test_the_stories_come_out_the_same_whatever_order_the_articles_arrive_in():
    articles = stream()
    expected = partition(cluster_stream(articles))
    for seed in range(5):
        shuffled = list(articles)
        random.Random(seed).shuffle(shuffled)
        assert partition(cluster_stream(shuffled)) == expected


def test_a_later_article_brings_two_reports_of_one_event_into_one_story():
    # Two short reports share no word (one on the bridge, one on the gale): apart, they
    # start two stories; the third tells both halves, and the three become one story.
    rows = [
        ("br-1", "br", "Oresund bridge closed", "Police closed the Oresund bridge.", "A"),
        ("br-2", "br", "Winds halt Malmo traffic", "Gale winds halted traffic to Malmo.", "B"),
        *STREAM[:2],
        (
            "br-3",
            "br",
            "Gale closes Oresund bridge to Malmo",
            "Police closed the Oresund bridge as gale winds halted traffic to Malmo.",
            "C",
        ),
    ]
    articles = stream(rows)
    before = cluster_stream(articles[:4])
    after = cluster_stream(articles)

    assert before["br-1"] != before["br-2"]
    assert after["br-1"] == after["br-2"] == after["br-3"]


def test_reports_naming_different_weekdays_are_held_apart_by_the_weekday_penalty():
    # On a stream this small every similarity is far above the threshold; a penalty as
    # large as a whole similarity shows what the tuned one does at the margin.
    settings = ClusteringSettings(weekday_penalty=1.0)
    report = "New jobless claims fell to a pandemic low, the Labor Department said on {day}."
    other = "Jobless claims fell again, figures showed on {day}, as hiring picked up."

    def same_story(first_day: str, second_day: str) -> bool:
        rows = [
            *STREAM,
            ("j-1", "j", "Jobless claims fall to pandemic low", report.format(day=first_day), "A"),
            (
                "j-2",
                "j",
                "Jobless claims fall as hiring picks up",
                other.format(day=second_day),
                "B",
            ),
        ]
        story_of = cluster_stream(stream(rows), settings)
        return story_of["j-1"] == story_of["j-2"]

    assert same_story("Thursday", "Thursday")
    assert not same_story("Thursday", "Monday")


def partition(story_of: dict[str, str]) -> set[frozenset[str]]:
    stories: dict[str, set[str]] = {}
    for article_id, story_id in story_of.items():
        stories.setdefault(story_id, set()).add(article_id)
    return {frozenset(members) for members in stories.values()}
