from __future__ import annotations

from pydantic import Field

from shared.settings import ServiceSettings


class PublisherSettings(ServiceSettings):
    http_port: int = Field(8004, ge=0, le=65535, description="Port of /metrics, /health, /ready.")
    batch_size: int = Field(
        100,
        ge=1,
        le=1000,
        description="Most messages the publisher reads at once from a topic: a backlog of "
        "summaries is written in a few database commands for the whole batch.",
    )
