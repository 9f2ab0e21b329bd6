"""The topics `pressroom topics create` makes."""

from __future__ import annotations

from shared.topic_admin import topic_plan


def test_the_topics_an_operator_creates_give_every_topic_its_dead_letter_twin():
    created = {plan.name: plan.partitions for plan in topic_plan(partitions=6)}
    assert set(created) == {
        "sources.due",
        "articles.raw",
        "stories.updated",
        "stories.summarized",
        "posts.published",
        "sources.due.dlq",
        "articles.raw.dlq",
        "stories.updated.dlq",
        "stories.summarized.dlq",
        "posts.published.dlq",
    }
    # Read rarely and in order: one partition each.
    assert {n for name, n in created.items() if name.endswith(".dlq")} == {1}
