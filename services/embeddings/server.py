"""An OpenAI-compatible embeddings endpoint (`POST /v1/embeddings`) over SentenceEncoder:
what the deduplicator's optional embeddings setting can point at on this machine
(`pressroom embeddings-server`), and what its tests and the clustering eval use."""

from __future__ import annotations

import asyncio
from typing import Any

from pydantic import BaseModel, Field, ValidationError
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse
from starlette.routing import Route

from services.embeddings.model import MODEL_NAME, SentenceEncoder

MAX_INPUTS = 256


class EmbeddingsRequest(BaseModel):
    input: str | list[str] = Field(description="A text or texts to embed.")
    model: str = MODEL_NAME


def make_app(encoder: SentenceEncoder) -> Starlette:
    lock = asyncio.Lock()  # one batch at a time: the session already uses every core

    async def embeddings(request: Request) -> JSONResponse:
        try:
            asked = EmbeddingsRequest.model_validate_json(await request.body())
        except ValidationError as error:
            return error_response(str(error))
        texts = [asked.input] if isinstance(asked.input, str) else asked.input
        if not texts or len(texts) > MAX_INPUTS:
            return error_response(f"input must hold 1 to {MAX_INPUTS} texts")
        async with lock:
            vectors = await asyncio.to_thread(encoder.encode, texts)
        data = [
            {"object": "embedding", "index": i, "embedding": vector}
            for i, vector in enumerate(vectors)
        ]
        tokens = sum(len(text.split()) for text in texts)
        return JSONResponse(
            {
                "object": "list",
                "data": data,
                "model": MODEL_NAME,
                "usage": {"prompt_tokens": tokens, "total_tokens": tokens},
            }
        )

    async def health(_: Request) -> PlainTextResponse:
        return PlainTextResponse("ok")

    return Starlette(
        routes=[
            Route("/v1/embeddings", embeddings, methods=["POST"]),
            Route("/health", health),
        ]
    )


def error_response(message: str) -> JSONResponse:
    body: dict[str, Any] = {"error": {"message": message, "type": "invalid_request_error"}}
    return JSONResponse(body, status_code=400)
