from __future__ import annotations

from pydantic import Field

from shared.settings import ServiceSettings


class SiteSettings(ServiceSettings):
    http_port: int = Field(8080, ge=0, le=65535, description="Port the site is served on.")
    site_url: str = Field(
        "http://127.0.0.1:8080",
        pattern=r"^https?://[^/]+$",
        description="Public address of the site (scheme and host, no path), for links in "
        "feeds, the sitemap and share buttons.",
    )
    site_name: str = Field("Pressroom", min_length=1, max_length=60, description="Site title.")
    page_size: int = Field(12, ge=1, le=100, description="Stories per page of a listing.")
    page_cache_seconds: float = Field(
        60,
        ge=0,
        description="Longest a rendered page is served from memory; posts.published "
        "invalidates the pages a post changes at once, this bounds the rest (the recent and "
        "related boxes) and staleness if an event is missed.",
    )
    page_cache_bytes: int = Field(
        64 * 2**20,
        ge=2**20,
        description="Memory for rendered pages; the least recently used leave first.",
    )
    views_flush_seconds: float = Field(
        5,
        gt=0,
        le=300,
        description="How often counted views are written, in one bulk write (a crash loses "
        "at most this long of views).",
    )
    view_window_seconds: float = Field(
        1800, ge=0, description="A client's views of one story within this time count once."
    )
    cdn_max_age_seconds: int = Field(
        30, ge=0, description="max-age in the Cache-Control header of pages and feeds."
    )
