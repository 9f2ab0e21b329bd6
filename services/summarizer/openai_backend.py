"""Summaries written by any OpenAI-compatible chat endpoint (OpenAI, vLLM, Ollama, llama.cpp).

One chat completion per story with a JSON-schema response format; timeouts, 429 and 5xx
answers and malformed JSON are retried with backoff (Retry-After honoured) a bounded number
of times, after which the story falls back to the extractive backend, so it still publishes.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from dataclasses import replace
from typing import Any

import httpx
from prometheus_client import Counter, Histogram
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from services.summarizer.draft import Draft, ExtractiveBackend
from services.summarizer.material import StoryMaterial
from services.summarizer.settings import SummarizerSettings
from shared.events import Category

logger = logging.getLogger(__name__)

requests_total = Counter(
    "pressroom_llm_requests_total",
    "Chat completion requests, by outcome: ok, timeout, rate_limited, server_error, "
    "bad_answer, fallback.",
    ["outcome"],
)
tokens_total = Counter("pressroom_llm_tokens_total", "Tokens used, by kind.", ["kind"])
cost_total = Counter("pressroom_llm_cost_dollars_total", "Estimated cost of the tokens used.")
request_seconds = Histogram("pressroom_llm_request_seconds", "Time of one chat completion.")

ARTICLE_CHARS = 4000
MAX_BACKOFF_SECONDS = 30.0

INSTRUCTIONS = """You write posts for a news site from the articles given. Use only facts \
the articles state: every number, date and name you write must appear in the articles. \
Answer with JSON: a neutral headline; exactly five key points (fewer only if the articles \
hold fewer distinct facts), each one sentence; a summary of {words} words as a list of \
sentences; the category; up to eight tags (names of people, places, organisations)."""


class ChatSummary(BaseModel):
    """The JSON the model must answer with."""

    model_config = ConfigDict(extra="forbid")

    headline: str = Field(min_length=1, max_length=300)
    key_points: list[str] = Field(min_length=1, max_length=5)
    summary: list[str] = Field(min_length=1, max_length=30)
    category: Category
    tags: list[str] = Field(max_length=8)


RESPONSE_FORMAT = {
    "type": "json_schema",
    "json_schema": {
        "name": "story_summary",
        "strict": True,
        "schema": ChatSummary.model_json_schema(),
    },
}


class AnswerError(ValueError):
    """The endpoint answered, but not with a usable summary."""


class Retryable(Exception):
    def __init__(self, outcome: str, wait: float | None = None) -> None:
        super().__init__(outcome)
        self.outcome = outcome
        self.wait = wait


class OpenAIBackend:
    def __init__(
        self,
        settings: SummarizerSettings,
        fallback: ExtractiveBackend,
        client: httpx.AsyncClient | None = None,
        backoff_seconds: float = 1.0,
    ) -> None:
        self.settings = settings
        self.fallback = fallback
        self.name = f"openai:{settings.openai_model}"
        self.backoff_seconds = backoff_seconds
        self._limit = asyncio.Semaphore(settings.openai_concurrency)
        headers = {"user-agent": "Pressroom summarizer"}
        if key := settings.openai_api_key.get_secret_value():
            headers["authorization"] = f"Bearer {key}"
        self.client = client or httpx.AsyncClient(
            base_url=settings.openai_base_url.rstrip("/") + "/",
            headers=headers,
            timeout=httpx.Timeout(settings.openai_timeout_seconds),
        )

    async def close(self) -> None:
        await self.client.aclose()

    async def draft(self, material: StoryMaterial) -> Draft:
        problems: list[str] = []
        for attempt in range(1, self.settings.openai_max_attempts + 1):
            try:
                async with self._limit:
                    answer = await self._complete(material)
                requests_total.labels("ok").inc()
                return Draft(
                    headline=answer.headline,
                    key_points=tuple(answer.key_points),
                    summary=tuple(answer.summary),
                    category=answer.category,
                    tags=tuple(answer.tags),
                    writer=self.name,
                )
            except Retryable as problem:
                requests_total.labels(problem.outcome).inc()
                problems.append(problem.outcome)
                wait = problem.wait
            except AnswerError as problem:
                requests_total.labels("bad_answer").inc()
                problems.append(f"bad_answer: {problem}")
                wait = None
            if attempt < self.settings.openai_max_attempts:
                default = self.backoff_seconds * 2 ** (attempt - 1)
                await asyncio.sleep(min(MAX_BACKOFF_SECONDS, wait if wait is not None else default))
        requests_total.labels("fallback").inc()
        logger.warning(
            "chat endpoint failed, summarised extractively",
            extra={"story_id": material.story.story_id, "problems": problems},
        )
        return replace(
            self.fallback.write(material),
            writer=f"extractive (fallback from {self.name})",
            notes=tuple(problems),
        )

    async def _complete(self, material: StoryMaterial) -> ChatSummary:
        started = time.monotonic()
        try:
            response = await self.client.post("chat/completions", json=self._request(material))
        except httpx.TimeoutException:
            raise Retryable("timeout") from None
        except httpx.TransportError:
            raise Retryable("unreachable") from None
        finally:
            request_seconds.observe(time.monotonic() - started)
        if response.status_code == 429:
            raise Retryable("rate_limited", _retry_after(response))
        if response.status_code >= 500:
            raise Retryable("server_error", _retry_after(response))
        if response.status_code != 200:
            raise AnswerError(f"HTTP {response.status_code}: {response.text[:200]}")
        return self._parse(response)

    def _request(self, material: StoryMaterial) -> dict[str, Any]:
        articles = "\n\n".join(
            f"[{a.article_id}] {a.source_name}: {a.title}\n{a.text[:ARTICLE_CHARS]}"
            for a in material.articles
        )
        return {
            "model": self.settings.openai_model,
            "temperature": 0,
            "response_format": RESPONSE_FORMAT,
            "messages": [
                {
                    "role": "system",
                    "content": INSTRUCTIONS.format(words=self.settings.summary_words),
                },
                {"role": "user", "content": articles},
            ],
        }

    def _parse(self, response: httpx.Response) -> ChatSummary:
        try:
            body = response.json()
            usage = body.get("usage") or {}
            self._count_usage(usage.get("prompt_tokens", 0), usage.get("completion_tokens", 0))
            content = body["choices"][0]["message"]["content"]
            return ChatSummary.model_validate(json.loads(content))
        except (ValueError, KeyError, IndexError, TypeError, ValidationError) as error:
            raise AnswerError(f"{type(error).__name__}: {str(error)[:200]}") from None

    def _count_usage(self, prompt: int, completion: int) -> None:
        tokens_total.labels("prompt").inc(prompt)
        tokens_total.labels("completion").inc(completion)
        cost_total.inc(
            prompt * self.settings.openai_prompt_cost_per_million / 1e6
            + completion * self.settings.openai_completion_cost_per_million / 1e6
        )


def _retry_after(response: httpx.Response) -> float | None:
    try:
        return max(0.0, float(response.headers["retry-after"]))
    except (KeyError, ValueError):
        return None
