"""robots.txt as RFC 9309 reads it: the rules, what each answer means, redirects, and the
host's Crawl-delay."""

from __future__ import annotations

import httpx2
import pytest

from services.fetcher.robots import rules_for
from tests.unit.fetcher.test_http import client_for

AGENT = "Pressroom/test (+https://example.org)"
RULES = """User-agent: *
Disallow: /news/
Allow: /news/public/
Disallow: /*.pdf$
Crawl-delay: 3
"""


@pytest.mark.parametrize(
    ("path", "allowed"),
    [
        ("/news/today", False),
        ("/news/public/today", True),  # an Allow inside a Disallow: the longer match wins
        ("/files/report.pdf", False),  # a wildcard and an end anchor
        ("/files/report.pdf?page=2", True),
        ("/about", True),
    ],
)
def test_the_rules_of_a_robots_txt(path: str, allowed: bool):
    assert rules_for(200, RULES).allows(f"https://site.example{path}", AGENT) is allowed


@pytest.mark.parametrize(
    ("status", "allowed"),
    [(404, True), (401, True), (403, True), (410, True), (500, False), (503, False), (None, False)],
)
def test_what_each_answer_to_robots_txt_means(status: int | None, allowed: bool):
    rules = rules_for(status, "User-agent: *\nDisallow: /")

    assert rules.allows("https://site.example/news/today", AGENT) is allowed
    if not allowed:  # the site may only be down: asked again within minutes
        assert rules.kept_seconds <= 600


def robots_behind(robots: httpx2.Response, hops: int = 0):
    requested: list[str] = []

    def handler(request: httpx2.Request) -> httpx2.Response:
        requested.append(request.url.path)
        if request.url.path.startswith("/robots"):
            number = int(request.url.params.get("hop", "0"))
            if number < hops:
                return httpx2.Response(301, headers={"location": f"/robots.txt?hop={number + 1}"})
            return robots
        return httpx2.Response(200, text="ok")

    return handler, requested


async def test_a_robots_txt_reached_through_redirects_is_followed_up_to_five():
    handler, requested = robots_behind(httpx2.Response(200, text=RULES), hops=5)
    client = client_for(handler)

    assert not await client.allowed_by_robots("http://127.0.0.1/news/today")
    assert requested.count("/robots.txt") == 6


async def test_past_five_redirects_robots_txt_counts_as_missing():
    handler, _ = robots_behind(httpx2.Response(200, text=RULES), hops=6)
    client = client_for(handler)

    assert await client.allowed_by_robots("http://127.0.0.1/news/today")


async def test_a_server_error_on_robots_txt_disallows_the_host():
    handler, requested = robots_behind(httpx2.Response(503))
    client = client_for(handler)

    assert not await client.allowed_by_robots("http://127.0.0.1/news/today")
    assert "/news/today" not in requested


async def test_crawl_delay_is_the_hosts_pace():
    handler, _ = robots_behind(httpx2.Response(200, text=RULES))
    client = client_for(handler)
    await client.allowed_by_robots("http://127.0.0.1/about")

    assert client.pace("127.0.0.1") == 3.0
