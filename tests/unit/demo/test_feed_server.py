"""The local news server: a feed shows its outlet's released articles, newest first."""

from __future__ import annotations

from datetime import UTC, datetime

import httpx2

from services.demo.feed_server import DemoArticle, NewsServer


def article(n: int, outlet: str) -> DemoArticle:
    return DemoArticle(
        id=f"a{n}",
        outlet=outlet,
        title=f"Report number {n}",
        text=f"The text of report number {n}.",
        published=datetime(2021, 8, 10, 9, n, tzinfo=UTC),
    )


ARTICLES = [article(0, "Harbour News"), article(1, "Fox News"), article(2, "Harbour News")]


def client(news: NewsServer) -> httpx2.AsyncClient:
    return httpx2.AsyncClient(transport=httpx2.ASGITransport(app=news.app()), base_url="http://n")


async def test_a_feed_shows_only_its_outlets_released_articles_newest_first():
    news = NewsServer(ARTICLES, initial=2)
    async with client(news) as http:
        before = (await http.get("/feeds/harbour-news.xml")).text
        news.release_all()
        after = (await http.get("/feeds/harbour-news.xml")).text
        other = (await http.get("/feeds/fox-news.xml")).text
        missing = await http.get("/feeds/nobody.xml")

    assert "Report number 0" in before
    assert "Report number 2" not in before
    assert after.index("Report number 2") < after.index("Report number 0")
    assert "Report number 1" not in after
    assert "Report number 1" in other
    assert missing.status_code == 404


async def test_an_article_page_is_found_only_once_released():
    news = NewsServer(ARTICLES, initial=1)
    async with client(news) as http:
        released = await http.get(f"/articles/{ARTICLES[0].slug}")
        waiting = await http.get(f"/articles/{ARTICLES[1].slug}")
    assert released.status_code == 200
    assert "Report number 0" in released.text
    assert waiting.status_code == 404
