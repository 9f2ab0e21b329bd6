"""MinHash signatures and LSH bands: finds syndicated copies without comparing every pair."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

_PRIME = (1 << 31) - 1  # products of two values below it fit in int64


def _shingle_digest(shingle: str) -> bytes:
    """Four bytes of the shingle's BLAKE2b: read as a little-endian number below 2**32, then
    taken modulo `_PRIME`, it is the shingle's hash (stable across processes, unlike
    `hash`)."""
    return hashlib.blake2b(shingle.encode(), digest_size=4).digest()


@dataclass(frozen=True)
class MinHasher:
    """`bands` x `rows` hash functions. Two texts of Jaccard similarity s share at least one
    band with probability 1 - (1 - s^rows)^bands: with 16 x 8, 0.97 at s = 0.8 and 0.06 at
    s = 0.5, so syndicated copies are found and merely related articles rarely are."""

    bands: int = 16
    rows: int = 8
    seed: int = 7
    _a: np.ndarray = field(init=False, repr=False, compare=False)
    _b: np.ndarray = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        rng = np.random.default_rng(self.seed)
        count = self.bands * self.rows
        object.__setattr__(self, "_a", rng.integers(1, _PRIME, size=count, dtype=np.int64))
        object.__setattr__(self, "_b", rng.integers(0, _PRIME, size=count, dtype=np.int64))

    def signature(self, shingles: set[str]) -> list[int]:
        if not shingles:
            return []
        digests = b"".join([_shingle_digest(s) for s in shingles])
        hashes = np.frombuffer(digests, dtype="<u4").astype(np.int64) % _PRIME
        values = (self._a[:, None] * hashes[None, :] + self._b[:, None]) % _PRIME
        return [int(v) for v in values.min(axis=1)]

    def band_keys(self, signature: Sequence[int]) -> list[str]:
        """One key per band; two texts that share a key are near-duplicate candidates."""
        if not signature:
            return []
        keys = []
        for band in range(self.bands):
            chunk = list(signature[band * self.rows : (band + 1) * self.rows])
            digest = hashlib.blake2b(repr(chunk).encode(), digest_size=8).hexdigest()
            keys.append(f"{band}:{digest}")
        return keys


def estimated_jaccard(a: Sequence[int], b: Sequence[int]) -> float:
    if not a or not b or len(a) != len(b):
        return 0.0
    return sum(x == y for x, y in zip(a, b, strict=True)) / len(a)
