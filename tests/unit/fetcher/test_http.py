from collections.abc import Callable

import httpx
import pytest

from services.fetcher.http import (
    Disallowed,
    FetchError,
    PoliteClient,
    TooLarge,
    retry_after_seconds,
)

Handler = Callable[[httpx.Request], httpx.Response]


def client_for(handler: Handler, **overrides: object) -> PoliteClient:
    options = dict(
        user_agent="Pressroom/test (+https://example.org)",
        timeout_seconds=2,
        max_body_bytes=1000,
        max_redirects=2,
        per_host_concurrency=1,
        host_delay_seconds=0,
    )
    options.update(overrides)
    return PoliteClient(transport=httpx.MockTransport(handler), **options)  # type: ignore[arg-type]


def robots_and(routes: Handler) -> Handler:
    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/robots.txt":
            return httpx.Response(200, text="User-agent: *\nDisallow: /private/\n")
        response: httpx.Response = routes(request)
        return response

    return handler


async def test_conditional_headers_are_sent_and_a_304_is_reported():
    seen: dict[str, str] = {}

    def routes(request: httpx.Request) -> httpx.Response:
        seen.update(request.headers)
        return httpx.Response(304)

    client = client_for(robots_and(routes))
    result = await client.get("http://127.0.0.1/feed", local=True, etag='"v1"', last_modified="x")
    assert result.not_modified
    assert (seen["if-none-match"], seen["if-modified-since"]) == ('"v1"', "x")
    assert seen["user-agent"].startswith("Pressroom/")


async def test_robots_txt_is_honoured():
    client = client_for(robots_and(lambda r: httpx.Response(200, text="ok")))
    with pytest.raises(Disallowed):
        await client.get("http://127.0.0.1/private/page", local=True)


async def test_a_body_over_the_cap_is_refused():
    client = client_for(robots_and(lambda r: httpx.Response(200, content=b"x" * 5000)))
    with pytest.raises(TooLarge):
        await client.get("http://127.0.0.1/huge", local=True)


async def test_redirects_are_capped_and_each_hop_is_checked():
    def loop(request: httpx.Request) -> httpx.Response:
        return httpx.Response(302, headers={"location": "/again"})

    with pytest.raises(FetchError, match="redirects"):
        await client_for(robots_and(loop)).get("http://127.0.0.1/start", local=True)

    def inside(request: httpx.Request) -> httpx.Response:
        return httpx.Response(302, headers={"location": "http://169.254.169.254/latest/"})

    with pytest.raises(FetchError, match="link-local"):
        await client_for(robots_and(inside)).get("http://127.0.0.1/start", local=True)


async def test_retry_after_is_read_from_a_429():
    client = client_for(robots_and(lambda r: httpx.Response(429, headers={"retry-after": "120"})))
    result = await client.get("http://127.0.0.1/feed", local=True)
    assert (result.status, result.retry_after) == (429, 120.0)


def test_retry_after_as_an_http_date():
    assert retry_after_seconds("Wed, 21 Oct 2015 07:28:00 GMT") == 0.0
    assert retry_after_seconds("soon") is None
