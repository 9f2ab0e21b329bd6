from datetime import UTC, datetime

from services.publisher.changes import describe_changes
from services.publisher.store import new_post
from tests.factories import make_summary

NOW = datetime(2026, 11, 30, 12, tzinfo=UTC)


def test_new_outlets_and_a_new_headline_are_named():
    before = new_post(make_summary(outlets=("Harbour News",)), NOW)
    after = make_summary(
        version=2, headline="Oresund bridge reopens", outlets=("Harbour News", "Coast Times")
    )
    assert describe_changes(before, after) == ("1 new source: Coast Times", "headline updated")


def test_a_version_with_nothing_visible_changed_says_details_revised():
    before = new_post(make_summary(), NOW)
    assert describe_changes(before, make_summary(version=2)) == ("details revised",)
