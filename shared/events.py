"""Event contracts: one frozen pydantic model per topic, serialised as JSON.

Every event carries `event_id`, `schema_version` and `occurred_at`. A consumer rejects an
event whose schema_version it does not know (it goes to the topic's .dlq), so a change of
shape is a new version, never a silent reinterpretation.
"""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime
from itertools import pairwise
from typing import Annotated, Literal
from uuid import UUID, uuid4

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, model_validator

from shared import topics


def _http_url(value: str) -> str:
    if not value.startswith(("http://", "https://")):
        raise ValueError("must be an http(s) URL")
    return value


HttpUrl = Annotated[str, AfterValidator(_http_url), Field(max_length=2048)]
ArticleId = Annotated[
    str, Field(pattern=r"^[0-9a-f]{32}$", description="Hash of the canonical URL.")
]
StoryId = Annotated[str, Field(pattern=r"^[0-9a-f]{32}$", description="Stable id of a story.")]


def article_id_for(canonical_url: str) -> str:
    """The article id: the first 128 bits of SHA-256 of the canonical URL, in hex."""
    return hashlib.sha256(canonical_url.encode("utf-8")).hexdigest()[:32]


def utc_now() -> datetime:
    return datetime.now(UTC)


class Model(BaseModel):
    """Immutable, strict about unknown fields: a typo in a producer fails loudly."""

    model_config = ConfigDict(frozen=True, extra="forbid")


class Event(Model):
    """Fields every event carries."""

    event_id: UUID = Field(default_factory=uuid4, description="Unique id of this event.")
    schema_version: Literal[1] = Field(1, description="Version of this event's shape.")
    occurred_at: datetime = Field(
        default_factory=utc_now, description="When the producer emitted the event (UTC)."
    )


# -- sources.due ------------------------------------------------------------------------


class SourceDue(Event):
    """A source is due to be polled. Topic `sources.due`, key `source_id`, so one source is
    only ever polled by one fetcher replica at a time (its partition's consumer)."""

    source_id: str = Field(min_length=1, max_length=100, description="Id of the configured source.")
    due_at: datetime = Field(description="When the poll was due.")


# -- articles.raw -----------------------------------------------------------------------


class ArticleFetched(Event):
    """A new article found by the fetcher. Topic `articles.raw`, key `article_id`."""

    article_id: ArticleId
    canonical_url: HttpUrl = Field(description="Normalised URL the article is known by.")
    url: HttpUrl = Field(description="URL as the feed gave it.")
    source_id: str = Field(min_length=1, max_length=100, description="Id of the configured source.")
    source_name: str = Field(
        min_length=1, max_length=200, description="Outlet name, e.g. The Guardian."
    )
    title: str = Field(min_length=1, max_length=1000, description="Headline of the article.")
    text: str = Field(
        max_length=200_000, description="Main text, extracted from the page or the feed."
    )
    authors: tuple[str, ...] = Field((), description="Bylines, as given.")
    published_at: datetime | None = Field(
        None, description="Publication time, if the source gives one."
    )
    language: str | None = Field(None, max_length=16, description="BCP 47 language tag, e.g. en.")
    image_url: HttpUrl | None = Field(None, description="Lead image (og:image), if any.")
    category_hint: str | None = Field(
        None, max_length=64, description="Category the source suggests."
    )
    fetched_at: datetime = Field(default_factory=utc_now, description="When the page was fetched.")


# -- stories.updated --------------------------------------------------------------------


class StoryArticle(Model):
    """One article of a story, as the deduplicator passes it on (text capped)."""

    article_id: ArticleId
    canonical_url: HttpUrl = Field(description="Normalised URL the article is known by.")
    source_id: str = Field(min_length=1, max_length=100, description="Id of the configured source.")
    source_name: str = Field(min_length=1, max_length=200, description="Outlet name.")
    title: str = Field(min_length=1, max_length=1000, description="Headline of the article.")
    text: str = Field(max_length=50_000, description="Main text, capped by the deduplicator.")
    published_at: datetime | None = Field(None, description="Publication time, if known.")
    language: str | None = Field(None, max_length=16, description="BCP 47 language tag.")
    image_url: HttpUrl | None = Field(None, description="Lead image of the article, if any.")
    category_hint: str | None = Field(
        None, max_length=64, description="Category the source suggests."
    )
    copy_of: ArticleId | None = Field(
        None, description="Set when this article is a near-duplicate (syndicated copy) of another."
    )
    fetched_at: datetime | None = Field(
        None, description="When the fetcher fetched it (none: stories from before it was kept)."
    )


class Timeline(Model):
    """When the article that brought a story version passed each stage: the pipeline's
    delays, measured where they happen. Each stage adds its time to what it received."""

    fetched_at: datetime = Field(description="When the fetcher fetched the article.")
    placed_at: datetime = Field(description="When the deduplicator placed it in its story.")
    summarized_at: datetime | None = Field(None, description="When the summarizer summarised it.")
    published_at: datetime | None = Field(
        None, description="When the publisher wrote the post (it is on the site from then)."
    )

    def hops(self) -> dict[str, float]:
        """The seconds each hop took, of those passed: fetched_to_placed,
        placed_to_summarized, summarized_to_published and, once published,
        fetched_to_visible."""
        stages: list[tuple[str, datetime | None]] = [
            ("fetched", self.fetched_at),
            ("placed", self.placed_at),
            ("summarized", self.summarized_at),
            ("published", self.published_at),
        ]
        passed = [(name, at) for name, at in stages if at is not None]
        hops = {
            f"{a}_to_{b}": (b_at - a_at).total_seconds()
            for (a, a_at), (b, b_at) in pairwise(passed)
        }
        if self.published_at is not None:
            hops["fetched_to_visible"] = (self.published_at - self.fetched_at).total_seconds()
        return hops


class StoryUpdated(Event):
    """A story gained, lost or changed articles. Topic `stories.updated`, key `story_id`.

    A story whose articles all joined other stories is withdrawn: it carries no articles
    and names the story that took them in `merged_into`."""

    story_id: StoryId
    version: int = Field(ge=1, description="Grows with every change of the story; never reused.")
    articles: tuple[StoryArticle, ...] = Field(
        max_length=50, description="The story's articles, most informative first."
    )
    article_count: int = Field(ge=0, description="All articles of the story, beyond the cap too.")
    first_seen_at: datetime = Field(description="When the story's first article arrived.")
    merged_into: StoryId | None = Field(
        None, description="Set when the story is withdrawn: the story its articles joined."
    )
    timeline: Timeline | None = Field(
        None, description="When the article that brought this version was fetched and placed."
    )

    @model_validator(mode="after")
    def _withdrawn_or_with_articles(self) -> StoryUpdated:
        if (self.merged_into is None) != bool(self.articles):
            raise ValueError("a story has articles, or is withdrawn and names merged_into")
        if bool(self.article_count) != bool(self.articles):
            raise ValueError("article_count counts the articles: none only when withdrawn")
        return self

    @property
    def withdrawn(self) -> bool:
        return self.merged_into is not None


# -- stories.summarized -----------------------------------------------------------------

Category = Literal[
    "World",
    "Politics",
    "Business",
    "Technology",
    "Science",
    "Health",
    "Sports",
    "Entertainment",
    "Environment",
    "Opinion",
]


class Evidence(Model):
    """The passage of an article that supports a published sentence."""

    article_id: ArticleId
    start: int = Field(ge=0, description="Start of the passage in the article's text.")
    end: int = Field(ge=0, description="End of the passage (exclusive) in the article's text.")
    passage: str = Field(
        min_length=1, max_length=3000, description="What the article says there, as written."
    )


class GroundedText(Model):
    """A key point or summary sentence with the articles that support it."""

    text: str = Field(min_length=1, max_length=2000, description="The sentence, as published.")
    article_ids: tuple[ArticleId, ...] = Field(
        min_length=1, description="Articles with a passage that says the text."
    )
    evidence: Evidence | None = Field(
        None,
        description="The passage that says it (optional: summaries from before it was "
        "recorded have none). Its span is in the article's title and text, joined by a "
        "newline.",
    )


class SourceCredit(Model):
    """An outlet's article the story draws on."""

    article_id: ArticleId
    source_name: str = Field(min_length=1, max_length=200, description="Outlet name.")
    url: HttpUrl = Field(description="Link to the outlet's article.")
    title: str = Field(min_length=1, max_length=1000, description="The outlet's headline.")
    is_copy: bool = Field(False, description="A syndicated copy, not an original report.")
    fetched_at: datetime | None = Field(None, description="When the fetcher fetched it, if known.")


class LeadImage(Model):
    url: HttpUrl = Field(description="Address of the image at its outlet.")
    credit: str = Field(
        min_length=1, max_length=200, description="Outlet the image is credited to."
    )
    article_id: ArticleId


class StorySummarized(Event):
    """A story's summary. Topic `stories.summarized`, key `story_id`."""

    story_id: StoryId
    version: int = Field(ge=1, description="Version of the story that was summarised.")
    headline: str = Field(min_length=1, max_length=300, description="Headline of the post.")
    key_points: tuple[GroundedText, ...] = Field(
        min_length=1,
        max_length=5,
        description="Up to five key points, fewer only for thin stories.",
    )
    summary: tuple[GroundedText, ...] = Field(
        min_length=1, description="Summary, sentence by sentence."
    )
    category: Category = Field(description="Section of the site the post belongs to.")
    tags: tuple[str, ...] = Field((), max_length=20, description="Names the story is about.")
    sources: tuple[SourceCredit, ...] = Field(min_length=1, description="Articles it draws on.")
    article_count: int | None = Field(
        None, ge=1, description="All articles of the story, beyond the sources' cap too."
    )
    lead_image: LeadImage | None = Field(None, description="Image credited to its outlet.")
    published_at: datetime = Field(description="Earliest publication time among the sources.")
    summarizer: str = Field(description="Backend that wrote it, e.g. extractive or openai:<model>.")
    timeline: Timeline | None = Field(
        None, description="The version's timeline (see stories.updated), with summarized_at."
    )


# -- posts.published --------------------------------------------------------------------


class PostPublished(Event):
    """A post was created, updated or withdrawn on the site. Topic `posts.published`, key
    `story_id`.

    Schema version 2 adds the `withdrawn` change, which version 1 readers cannot read: a
    withdrawal is always version 2 (an old reader dead-letters it rather than take it for
    an update); a creation or update stays version 1, which every reader reads."""

    schema_version: Literal[1, 2] = Field(  # type: ignore[assignment]
        1, description="1: created or updated; 2: withdrawn (needs a reader of version 2)."
    )
    story_id: StoryId
    slug: str = Field(pattern=r"^[a-z0-9-]{1,120}$", description="Stable path segment of the post.")
    version: int = Field(ge=1, description="Version of the story now on the site.")
    change: Literal["created", "updated", "withdrawn"] = Field(
        description="A new post, a new version, or a post taken off the site because its "
        "story's articles joined another story (`merged_into`)."
    )
    merged_into: StoryId | None = Field(
        None, description="For a withdrawal: the story whose post now holds its articles."
    )
    headline: str = Field(min_length=1, max_length=300, description="Headline of the post.")
    category: Category = Field(description="Section of the site the post belongs to.")
    first_published_at: datetime = Field(description="When the post first appeared.")
    updated_at: datetime = Field(description="When this version appeared.")
    timeline: Timeline | None = Field(
        None, description="The version's timeline, with published_at (none for a withdrawal)."
    )

    @model_validator(mode="after")
    def _withdrawal_is_version_2(self) -> PostPublished:
        withdrawn = self.change == "withdrawn"
        if withdrawn != (self.schema_version == 2):
            raise ValueError("a withdrawal is schema_version 2, and schema_version 2 one")
        if withdrawn != (self.merged_into is not None):
            raise ValueError("merged_into is given with a withdrawal, and only then")
        return self


# -- <topic>.dlq ------------------------------------------------------------------------


DEAD_LETTER_ORIGINAL_BYTES = 262_144  # base64 makes it 350 KB: a letter always fits


class DeadLetter(Event):
    """A message a service could not process. Topic `<topic>.dlq`, key as the original."""

    model_config = ConfigDict(ser_json_bytes="base64", val_json_bytes="base64")

    topic: str = Field(description="Topic the message was consumed from.")
    partition: int = Field(description="Partition of the original message.")
    offset: int = Field(description="Offset of the original message.")
    key: str | None = Field(None, description="Key of the original message, decoded as UTF-8.")
    service: str = Field(description="Service that gave up on the message.")
    error: str = Field(description="Why the message could not be processed.")
    attempts: int = Field(ge=1, description="Times the service tried before giving up.")
    original: bytes = Field(
        description="The original message value, byte for byte (base64 in JSON); only its "
        "first DEAD_LETTER_ORIGINAL_BYTES when it was longer (original_bytes tells)."
    )
    original_bytes: int | None = Field(
        None, ge=0, description="Length of the whole original value (none: letters before it)."
    )
    original_sha256: str | None = Field(
        None, description="SHA-256 of the whole original value, in hex (none: letters before it)."
    )

    @property
    def whole(self) -> bool:
        """Whether `original` is the whole message (so it can be replayed)."""
        return self.original_bytes is None or self.original_bytes == len(self.original)


EVENT_FOR_TOPIC: dict[str, type[Event]] = {
    topics.SOURCES_DUE: SourceDue,
    topics.ARTICLES_RAW: ArticleFetched,
    topics.STORIES_UPDATED: StoryUpdated,
    topics.STORIES_SUMMARIZED: StorySummarized,
    topics.POSTS_PUBLISHED: PostPublished,
}
