from collections.abc import AsyncIterator, Callable

import httpx2
import pytest

from services.fetcher.http import (
    Disallowed,
    FetchError,
    PoliteClient,
    TooLarge,
    retry_after_seconds,
)

Handler = Callable[[httpx2.Request], httpx2.Response]


class Streamed(httpx2.AsyncByteStream):
    """A body as a server sends it: read as it arrives (a response made with `content=`
    is read at once, and the client inflates the raw stream itself)."""

    def __init__(self, body: bytes) -> None:
        self.body = body

    async def __aiter__(self) -> AsyncIterator[bytes]:
        for start in range(0, len(self.body), 4096):
            yield self.body[start : start + 4096]


def streamed(handler: Handler) -> Handler:
    def handler_streaming(request: httpx2.Request) -> httpx2.Response:
        response = handler(request)
        if not response.is_stream_consumed:
            return response
        return httpx2.Response(
            response.status_code, headers=response.headers, stream=Streamed(response.content)
        )

    return handler_streaming


def client_for(handler: Handler, **overrides: object) -> PoliteClient:
    options = dict(
        user_agent="Pressroom/test (+https://example.org)",
        timeout_seconds=2,
        max_body_bytes=1000,
        max_redirects=2,
        per_host_concurrency=1,
        host_delay_seconds=0,
        local_hosts={"127.0.0.1"},  # the mock server's host
    )
    options.update(overrides)
    transport = httpx2.MockTransport(streamed(handler))
    return PoliteClient(transport=transport, **options)  # type: ignore[arg-type]


def robots_and(routes: Handler) -> Handler:
    def handler(request: httpx2.Request) -> httpx2.Response:
        if request.url.path == "/robots.txt":
            return httpx2.Response(200, text="User-agent: *\nDisallow: /private/\n")
        response: httpx2.Response = routes(request)
        return response

    return handler


async def test_conditional_headers_are_sent_and_a_304_is_reported():
    seen: dict[str, str] = {}

    def routes(request: httpx2.Request) -> httpx2.Response:
        seen.update(request.headers)
        return httpx2.Response(304)

    client = client_for(robots_and(routes))
    result = await client.get("http://127.0.0.1/feed", etag='"v1"', last_modified="x")
    assert result.not_modified
    assert (seen["if-none-match"], seen["if-modified-since"]) == ('"v1"', "x")
    assert seen["user-agent"].startswith("Pressroom/")


async def test_robots_txt_is_honoured():
    client = client_for(robots_and(lambda r: httpx2.Response(200, text="ok")))
    with pytest.raises(Disallowed):
        await client.get("http://127.0.0.1/private/page")


async def test_a_body_over_the_cap_is_refused():
    client = client_for(robots_and(lambda r: httpx2.Response(200, content=b"x" * 5000)))
    with pytest.raises(TooLarge):
        await client.get("http://127.0.0.1/huge")


async def test_redirects_are_capped_and_each_hop_is_checked():
    def loop(request: httpx2.Request) -> httpx2.Response:
        return httpx2.Response(302, headers={"location": "/again"})

    with pytest.raises(FetchError, match="redirects"):
        await client_for(robots_and(loop)).get("http://127.0.0.1/start")

    def inside(request: httpx2.Request) -> httpx2.Response:
        return httpx2.Response(302, headers={"location": "http://169.254.169.254/latest/"})

    with pytest.raises(FetchError, match="link-local"):
        await client_for(robots_and(inside)).get("http://127.0.0.1/start")


async def test_retry_after_is_read_from_a_429():
    client = client_for(robots_and(lambda r: httpx2.Response(429, headers={"retry-after": "120"})))
    result = await client.get("http://127.0.0.1/feed")
    assert (result.status, result.retry_after) == (429, 120.0)


def test_retry_after_as_an_http_date():
    assert retry_after_seconds("Wed, 21 Oct 2015 07:28:00 GMT") == 0.0
    assert retry_after_seconds("soon") is None
