"""Topic names, defined once. Every topic has a dead-letter twin `<topic>.dlq`."""

from typing import Final

SOURCES_DUE: Final = "sources.due"
ARTICLES_RAW: Final = "articles.raw"
STORIES_UPDATED: Final = "stories.updated"
STORIES_SUMMARIZED: Final = "stories.summarized"
POSTS_PUBLISHED: Final = "posts.published"

DLQ_SUFFIX: Final = ".dlq"

PIPELINE_TOPICS: Final = (
    SOURCES_DUE,
    ARTICLES_RAW,
    STORIES_UPDATED,
    STORIES_SUMMARIZED,
    POSTS_PUBLISHED,
)


def dead_letter_topic(topic: str) -> str:
    """The dead-letter topic of `topic`."""
    return topic + DLQ_SUFFIX


ALL_TOPICS: Final = PIPELINE_TOPICS + tuple(dead_letter_topic(t) for t in PIPELINE_TOPICS)
