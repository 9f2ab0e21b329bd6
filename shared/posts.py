"""The documents of the site's posts, one model each, with their collection names: the
publisher writes them, the site and its API read them.

A post is its story's latest grounded summary, with the fields listings query on. A
withdrawn post is what is left of a post whose story's articles joined another story: its
address leads to that story's post, and no late summary brings it back.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from shared.events import Category, GroundedText, LeadImage, SourceCredit, StoryId

POSTS = "posts"
WITHDRAWN_POSTS = "withdrawn_posts"


class StoredDocument(BaseModel):
    """A stored document: `_id` by its name in Python, fields added later ignored by older
    readers (documents outlive code)."""

    model_config = ConfigDict(frozen=True, extra="ignore", populate_by_name=True)

    def stored(self) -> dict[str, Any]:
        """As MongoDB stores it."""
        return self.model_dump(mode="python", by_alias=True)


class PostChange(StoredDocument):
    version: int = Field(description="The version the change brought.")
    at: datetime = Field(description="When it was published.")
    notes: tuple[str, ...] = Field(description='What changed, e.g. "headline updated".')


class PostListing(StoredDocument):
    """What a listing shows of a post (and reads: see `LISTED`)."""

    story_id: StoryId = Field(alias="_id", description="The story the post tells.")
    slug: str = Field(description="Stable path segment: /story/<slug>.")
    headline: str = Field(description="Headline of the latest version.")
    category: Category = Field(description="Section of the site.")
    key_points: tuple[GroundedText, ...] = Field(description="Cited key points.")
    lead_image: LeadImage | None = Field(None, description="Image credited to its outlet.")
    source_names: tuple[str, ...] = Field(description="Outlets the story draws on, sorted.")
    outlet_count: int = Field(description="How many outlets reported it.")
    original_count: int = Field(description="How many of their reports are not copies.")
    published_at: datetime = Field(description="Earliest publication among the sources.")
    first_published_at: datetime = Field(description="When the post first appeared.")
    updated_at: datetime = Field(description="When its latest version appeared.")
    views: int = Field(0, description="Views by readers (counted once per reader and hour).")


class Post(PostListing):
    """A post as its story page shows it."""

    version: int = Field(description="Version of the story on the site.")
    summary: tuple[GroundedText, ...] = Field(description="Sentences, each citing its source.")
    tags: tuple[str, ...] = Field((), description="Names the story is about.")
    sources: tuple[SourceCredit, ...] = Field(description="Articles it draws on.")
    article_count: int = Field(description="Articles in the story.")
    summarizer: str = Field(description="Backend that wrote the summary.")
    changes: tuple[PostChange, ...] = Field((), description="The latest changes, oldest first.")


class WithdrawnPost(StoredDocument):
    story_id: StoryId = Field(alias="_id", description="The withdrawn story.")
    version: int = Field(description="The story's version that withdrew it.")
    merged_into: StoryId = Field(description="The story that took its articles.")
    slug: str | None = Field(None, description="The post's address, if it had a post.")
    headline: str | None = Field(None, description="Its last headline, if it had a post.")
    category: Category | None = Field(None, description="Its section, if it had a post.")
    first_published_at: datetime | None = Field(None, description="When its post appeared.")
    withdrawn_at: datetime = Field(description="When it was withdrawn.")

    @property
    def was_on_the_site(self) -> bool:
        return self.slug is not None and self.headline is not None


LISTED = {field.alias or name: 1 for name, field in PostListing.model_fields.items()}
"""The projection a listing reads."""
