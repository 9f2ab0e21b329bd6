from services.publisher.changes import describe_changes
from services.publisher.store import post_fields
from tests.factories import make_summary


def test_new_outlets_and_a_new_headline_are_named():
    before = post_fields(make_summary(outlets=("Harbour News",)))
    after = make_summary(
        version=2, headline="Oresund bridge reopens", outlets=("Harbour News", "Coast Times")
    )
    assert describe_changes(before, after) == ["1 new source: Coast Times", "headline updated"]


def test_a_version_with_nothing_visible_changed_says_details_revised():
    before = post_fields(make_summary())
    assert describe_changes(before, make_summary(version=2)) == ["details revised"]
