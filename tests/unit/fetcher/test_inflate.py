"""Compressed bodies inflated under the cap, a chunk at a time."""

from __future__ import annotations

import gzip
import zlib

import httpx2
import pytest

from services.fetcher.http import FetchError, TooLarge
from services.fetcher.inflate import BoundedInflater, Inflated, OverCap
from tests.unit.fetcher.test_http import Streamed, client_for, robots_and

TEXT = b"<rss>" + b"news " * 100 + b"</rss>"
BOMB = gzip.compress(b"\0" * (64 * 2**20))  # 64 MiB of zeros in ~64 KiB


def deflated(data: bytes, *, wrapped: bool) -> bytes:
    packer = zlib.compressobj(wbits=zlib.MAX_WBITS if wrapped else -zlib.MAX_WBITS)
    return packer.compress(data) + packer.flush()


@pytest.mark.parametrize(
    ("encoding", "body"),
    [
        (None, TEXT),
        ("gzip", gzip.compress(TEXT)),
        ("deflate", deflated(TEXT, wrapped=True)),
        ("deflate", deflated(TEXT, wrapped=False)),  # as some servers send it
    ],
)
def test_a_body_is_decoded_whole_in_small_chunks(encoding: str | None, body: bytes):
    inflater = BoundedInflater(encoding, cap=10_000)
    decoded = b"".join(inflater.feed(body[i : i + 7]) for i in range(0, len(body), 7))
    assert decoded == TEXT


def test_a_gzip_bomb_stops_at_the_cap_without_inflating_the_rest():
    inflater = BoundedInflater("gzip", cap=1_000_000)
    with pytest.raises(OverCap):
        inflater.feed(BOMB)
    assert inflater.size <= 1_000_000


@pytest.mark.parametrize(("encoding", "body"), [("gzip", b"not gzip at all"), ("br", b"x")])
def test_a_body_that_is_not_what_its_encoding_says_is_refused(encoding: str, body: bytes):
    with pytest.raises(Inflated):
        BoundedInflater(encoding, cap=1000).feed(body)


async def test_the_client_refuses_a_gzip_bomb_as_too_large():
    bomb = robots_and(
        lambda r: httpx2.Response(200, stream=Streamed(BOMB), headers={"content-encoding": "gzip"})
    )
    client = client_for(bomb, max_body_bytes=100_000)
    with pytest.raises(TooLarge, match="decompresses past the cap"):
        await client.get("http://127.0.0.1/feed")


async def test_the_client_reads_a_gzip_feed():
    feed = robots_and(
        lambda r: httpx2.Response(
            200, stream=Streamed(gzip.compress(TEXT)), headers={"content-encoding": "gzip"}
        )
    )
    result = await client_for(feed, max_body_bytes=100_000).get("http://127.0.0.1/feed")
    assert result.body == TEXT


async def test_a_corrupt_gzip_body_is_a_fetch_error():
    corrupt = robots_and(
        lambda r: httpx2.Response(
            200, stream=Streamed(b"garbage"), headers={"content-encoding": "gzip"}
        )
    )
    with pytest.raises(FetchError, match="does not inflate"):
        await client_for(corrupt).get("http://127.0.0.1/feed")
