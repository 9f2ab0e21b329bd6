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
        description="Longest a rendered page is served from memory; posts.published clears "
        "the cache at once, this bounds staleness if an event is missed.",
    )
    cdn_max_age_seconds: int = Field(
        30, ge=0, description="max-age in the Cache-Control header of pages and feeds."
    )
