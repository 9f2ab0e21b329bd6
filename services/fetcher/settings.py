from __future__ import annotations

from pathlib import Path

from pydantic import Field

from shared.settings import ServiceSettings


class FetcherSettings(ServiceSettings):
    http_port: int = Field(8001, ge=0, le=65535, description="Port of /metrics, /health, /ready.")
    niceness: int = Field(
        10, ge=0, le=19, description="Added to the nice value: it catches up in polls."
    )
    sources_file: Path = Field(
        Path("deploy/sources.yaml"), description="YAML file listing the sources to poll."
    )
    contact_url: str = Field(
        "https://github.com/pressroom/pressroom",
        pattern=r"^(https?://|mailto:)",
        description="Contact URL named in the fetcher's User-Agent, for site operators.",
    )
    fetch_timeout_seconds: float = Field(
        15, gt=0, le=300, description="Longest wait for a connection or for the next bytes."
    )
    fetch_deadline_seconds: float = Field(
        60,
        gt=0,
        le=900,
        description="Longest one request may take, headers and body: a body that trickles in "
        "is cut off here.",
    )
    max_body_bytes: int = Field(
        5_000_000, ge=10_000, description="Largest feed or page body read; larger ones are refused."
    )
    max_redirects: int = Field(5, ge=0, le=20, description="Redirects followed at most.")
    per_host_concurrency: int = Field(2, ge=1, le=32, description="Requests to one host at once.")
    concurrent_polls: int = Field(
        4,
        ge=1,
        le=64,
        description="Polls one replica makes at once: a consumer of sources.due each, so at "
        "most as many as the topic has partitions are busy (one source stays one at a time).",
    )
    max_concurrent_fetches: int = Field(
        32, ge=1, le=1000, description="Requests in flight at once in one replica, all hosts."
    )
    host_delay_seconds: float = Field(
        1.0, ge=0, le=60, description="Least time between two requests to one host."
    )
    max_new_entries_per_poll: int = Field(
        50,
        ge=1,
        le=5000,
        description="New entries taken from one poll; the rest wait for the next.",
    )
    failure_backoff_seconds: float = Field(
        60, gt=0, description="First wait after a failed poll; doubles with each failure."
    )
    max_backoff_seconds: float = Field(3600, gt=0, description="Longest wait between failed polls.")
    quarantine_after_failures: int = Field(
        8, ge=1, le=1000, description="Failed polls in a row after which a source is quarantined."
    )
    quarantine_seconds: float = Field(
        6 * 3600, gt=0, description="How long a quarantined source rests before one more try."
    )
    schedule_tick_seconds: float = Field(
        1.0, gt=0, le=60, description="How often a replica looks for sources due to be polled."
    )
    websub_callback_url: str | None = Field(
        None,
        pattern=r"^https?://[^\s/]+(/\S*)?$",
        description="Public address of the fetcher's WebSub callback, e.g. "
        "https://pressroom.example/websub (the fetcher answers /websub/<source> on its HTTP "
        "port): feeds that name a hub push new entries there. Unset: polling only.",
    )
    websub_lease_seconds: int = Field(
        86_400,
        ge=300,
        le=30 * 86_400,
        description="Lease asked of WebSub hubs; renewed when a quarter of it is left.",
    )
