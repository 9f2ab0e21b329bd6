from __future__ import annotations

from pydantic import Field

from shared.settings import ServiceSettings


class DigestSettings(ServiceSettings):
    http_port: int = Field(8005, ge=0, le=65535, description="Port of /digest, /metrics, /health.")
    site_url: str = Field(
        "http://127.0.0.1:8080", pattern=r"^https?://[^/]+$", description="Site links point here."
    )
