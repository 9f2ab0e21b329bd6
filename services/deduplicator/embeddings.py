"""The optional embeddings endpoint: any OpenAI-compatible `POST {url}/embeddings`.

An article's embedding is taken over its title and lead, once, when it arrives; the
journal keeps it, so a restart asks for nothing again."""

from __future__ import annotations

import math
from collections.abc import Sequence

import httpx2
from pydantic import BaseModel

from shared.tracing import TracedTransport

Embedding = tuple[float, ...]


class _Datum(BaseModel):
    index: int
    embedding: list[float]


class _Answer(BaseModel):
    data: list[_Datum]


class EmbeddingsError(RuntimeError):
    """The endpoint failed or answered something else than embeddings."""


def embedded_text(title: str, text: str, lead_words: int = 200) -> str:
    return f"{title}. {' '.join(text.split()[:lead_words])}"


class EmbeddingsClient:
    def __init__(
        self,
        url: str,
        model: str,
        api_key: str = "",
        timeout_seconds: float = 30.0,
        transport: httpx2.AsyncBaseTransport | None = None,
    ) -> None:
        headers = {"Authorization": f"Bearer {api_key}"} if api_key else {}
        self.model = model
        self.http = httpx2.AsyncClient(
            base_url=url.rstrip("/"),
            headers=headers,
            timeout=timeout_seconds,
            transport=TracedTransport(transport or httpx2.AsyncHTTPTransport()),
        )

    async def embed(self, texts: Sequence[str]) -> list[Embedding]:
        """One unit-length vector per text, in order."""
        try:
            response = await self.http.post(
                "/embeddings", json={"model": self.model, "input": list(texts)}
            )
            response.raise_for_status()
            answer = _Answer.model_validate_json(response.content)
        except (httpx2.HTTPError, ValueError) as error:
            raise EmbeddingsError(f"embeddings endpoint {self.http.base_url}: {error}") from error
        vectors = [d.embedding for d in sorted(answer.data, key=lambda d: d.index)]
        if len(vectors) != len(texts):
            raise EmbeddingsError(f"asked for {len(texts)} embeddings, got {len(vectors)}")
        return [unit(vector) for vector in vectors]

    async def close(self) -> None:
        await self.http.aclose()


def unit(vector: Sequence[float]) -> Embedding:
    norm = math.sqrt(sum(x * x for x in vector)) or 1.0
    return tuple(x / norm for x in vector)
