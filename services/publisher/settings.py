from __future__ import annotations

from pydantic import Field

from shared.settings import ServiceSettings


class PublisherSettings(ServiceSettings):
    http_port: int = Field(8004, ge=0, le=65535, description="Port of /metrics, /health, /ready.")
