from __future__ import annotations

from typing import Literal

from pydantic import Field, SecretStr

from shared.settings import ServiceSettings


class SummarizerSettings(ServiceSettings):
    http_port: int = Field(8003, ge=0, le=65535, description="Port of /metrics, /health, /ready.")
    summarizer_backend: Literal["extractive", "openai"] = Field(
        "extractive",
        description="Who writes summaries: the built-in extractive method, or an "
        "OpenAI-compatible chat endpoint (falls back to extractive when it fails).",
    )
    summary_words: int = Field(
        200, ge=120, le=250, description="Length the summary aims at, in words (120-250)."
    )
    coalesce_seconds: float = Field(
        1.0,
        ge=0,
        le=600,
        description="Quiet time from the start of a story's summary: an update in it waits "
        "for its end (and the summary's), so a burst of updates costs one summary more; a "
        "new story, and an update after it, are summarised at once.",
    )
    summary_lease_seconds: float = Field(
        120, gt=0, description="How long one replica holds a story it is summarising."
    )
    openai_base_url: str = Field(
        "http://127.0.0.1:11434/v1",
        pattern=r"^https?://",
        description="OpenAI-compatible API base URL (OpenAI, vLLM, Ollama, llama.cpp).",
    )
    openai_api_key: SecretStr = Field(
        SecretStr(""), description="API key for the endpoint (empty for local servers)."
    )
    openai_model: str = Field("gpt-4o-mini", min_length=1, description="Chat model name.")
    openai_timeout_seconds: float = Field(
        60, gt=0, description="Time limit of one chat completion request."
    )
    openai_max_attempts: int = Field(
        3, ge=1, le=10, description="Attempts at one story (timeouts, 429, 5xx, bad JSON)."
    )
    openai_concurrency: int = Field(
        4,
        ge=1,
        le=256,
        description="Chat requests in flight at once per replica: stories it summarises at "
        "once (the extractive backend eight at a time, its database round trips overlapped).",
    )
    openai_prompt_cost_per_million: float = Field(
        0.15, ge=0, description="Price of a million prompt tokens, for the cost metric."
    )
    openai_completion_cost_per_million: float = Field(
        0.60, ge=0, description="Price of a million completion tokens, for the cost metric."
    )

    def summary_workers(self) -> int:
        """Stories summarised at once: a chat backend waits on its endpoint, so several
        overlap. The extractive one is bound by CPU, but a story's claim, publish and
        release are round trips that, on a busy machine, take ten times its summary (at
        50 articles/s on two cores: 48 ms a story, 5 of them summarising). With four at
        once, stories arriving in a batch waited 0.2-0.6 s (p50) for a worker. Sixteen
        waited 0.02-0.07 s, but took the backfill from 197 to 130 articles a second (with
        67 deadlocks of claims, since gone: 164, with 4,250 versions summarised)."""
        return self.openai_concurrency if self.summarizer_backend == "openai" else 8
