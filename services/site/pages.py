"""The site's pages and feeds: each rendered once, cached, and served with validators."""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from email.utils import format_datetime, parsedate_to_datetime
from typing import Any
from urllib.parse import quote

from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, RedirectResponse, Response

from services.site.bots import is_bot
from services.site.cache import CachedPage, PageCache
from services.site.posts import CATEGORIES, Page, Post, PostReader, search_filter
from services.site.rendering import make_environment
from services.site.settings import SiteSettings

SLUG = re.compile(r"^[a-z0-9-]{1,120}$")
MAX_PAGE = 1000
MAX_QUERY = 200
Rendered = tuple[bytes, str, int, datetime | None]  # body, media type, status, last modified


class NotFound(Exception):
    """The address names nothing the site has."""


def page_number(request: Request) -> int:
    try:
        return min(MAX_PAGE, max(1, int(request.query_params.get("page", "1"))))
    except ValueError:
        return 1


def newest(posts: list[Post]) -> datetime | None:
    return max((p["updated_at"] for p in posts), default=None)


class Site:
    def __init__(self, reader: PostReader, cache: PageCache, settings: SiteSettings) -> None:
        self.reader = reader
        self.cache = cache
        self.settings = settings
        self.templates = make_environment()

    # -- plumbing -----------------------------------------------------------------------

    async def respond(
        self, request: Request, key: str, render: Callable[[], Awaitable[Rendered]]
    ) -> Response:
        """The cached page (rendering it on a miss), or 304 when the client has it."""
        page = self.cache.get(key)
        if page is None:
            generation = self.cache.generation
            body, media_type, status, modified = await render()
            page = self.cache.put(
                key,
                body,
                media_type,
                status,
                modified.timestamp() if modified else None,
                generation=generation,
            )
        headers = self._validators(page)
        if page.status == 200 and self._not_modified(request, page):
            return Response(status_code=304, headers=headers)
        return Response(page.body, page.status, headers=headers, media_type=page.media_type)

    def _validators(self, page: CachedPage) -> dict[str, str]:
        headers = {
            "etag": page.etag,
            "cache-control": f"public, max-age={self.settings.cdn_max_age_seconds}, "
            "stale-while-revalidate=60",
        }
        if page.last_modified is not None:
            moment = datetime.fromtimestamp(page.last_modified, UTC)
            headers["last-modified"] = format_datetime(moment, usegmt=True)
        return headers

    @staticmethod
    def _not_modified(request: Request, page: CachedPage) -> bool:
        if tags := request.headers.get("if-none-match"):
            return page.etag in {t.strip() for t in tags.split(",")} or tags.strip() == "*"
        since = request.headers.get("if-modified-since")
        if since and page.last_modified is not None:
            try:
                return int(page.last_modified) <= parsedate_to_datetime(since).timestamp()
            except (TypeError, ValueError, IndexError, OverflowError):
                return False
        return False

    async def html(self, template: str, status: int = 200, **context: Any) -> Rendered:
        if "categories" not in context:
            context["categories"] = await self.reader.categories()
        if "recent" not in context:
            context["recent"] = await self.reader.recent()
        body = self.templates.get_template(template).render(
            site_name=self.settings.site_name, site_url=self.settings.site_url, **context
        )
        return body.encode(), "text/html; charset=utf-8", status, context.get("modified")

    def _xml(
        self,
        template: str,
        modified: datetime | None,
        media_type: str = "application/xml; charset=utf-8",
        **context: Any,
    ) -> Rendered:
        body = self.templates.get_template(template).render(
            site_url=self.settings.site_url, now=datetime.now(UTC), **context
        )
        return body.encode(), media_type, 200, modified

    # -- pages --------------------------------------------------------------------------

    async def home(self, request: Request) -> Response:
        number = page_number(request)

        async def render() -> Rendered:
            page = await self.reader.page(number)
            lead = page.posts[0] if number == 1 and page.posts else None
            posts = page.posts[1:] if lead else page.posts
            return await self.html(
                "home.html", lead=lead, posts=posts, page=page, modified=newest(page.posts)
            )

        return await self.respond(request, f"home:{number}", render)

    async def story(self, request: Request) -> Response:
        slug = request.path_params["slug"]
        if not SLUG.match(slug):
            raise NotFound(slug)
        post = await self.reader.by_slug(slug)
        if post is None:
            # A story merged into another: its address leads there, for good.
            if successor := await self.reader.successor(slug):
                return RedirectResponse(f"/story/{quote(successor['slug'])}", status_code=301)
            raise NotFound(slug)
        if not is_bot(request.headers.get("user-agent")):
            await self.reader.count_view(post["_id"])

        async def render() -> Rendered:
            return await self.html("story.html", **await self._story_context(post))

        return await self.respond(request, f"story:{slug}", render)

    async def _story_context(self, post: Post) -> dict[str, Any]:
        url = f"{self.settings.site_url}/story/{post['slug']}"
        sources = post.get("sources", [])
        structured = {
            "@context": "https://schema.org",
            "@type": "NewsArticle",
            "headline": post["headline"][:110],
            "datePublished": post["first_published_at"].isoformat(),
            "dateModified": post["updated_at"].isoformat(),
            "articleSection": post["category"],
            "mainEntityOfPage": url,
            "description": post["key_points"][0]["text"] if post.get("key_points") else "",
            "publisher": {"@type": "Organization", "name": self.settings.site_name},
            "isBasedOn": [s["url"] for s in sources],
            **({"image": [post["lead_image"]["url"]]} if post.get("lead_image") else {}),
        }
        return {
            "post": post,
            "url": url,
            "sources": sources,
            "source_by_id": {s["article_id"]: s for s in sources},
            "source_number": {s["article_id"]: i for i, s in enumerate(sources, 1)},
            "tags": post.get("tags", []),
            "related": await self.reader.related(post),
            "structured": structured,
            "current_category": post["category"],
            "modified": post["updated_at"],
        }

    async def category(self, request: Request) -> Response:
        name = self._category(request.path_params["name"])
        number = page_number(request)

        async def render() -> Rendered:
            page = await self.reader.page(number, {"category": name})
            return await self.html(
                "listing.html",
                heading=name,
                page=page,
                base=f"/category/{name.lower()}",
                joiner="?",
                empty=f"No {name} stories yet.",
                feed_url=f"/category/{name.lower()}/feed.xml",
                current_category=name,
                modified=newest(page.posts),
            )

        return await self.respond(request, f"category:{name}:{number}", render)

    async def source(self, request: Request) -> Response:
        name = request.path_params["name"][:200]
        number = page_number(request)
        page = await self.reader.page(number, {"source_names": name})
        if not page.posts and number == 1:
            raise NotFound(name)

        async def render() -> Rendered:
            return await self.html(
                "listing.html",
                heading=f"Stories reported by {name}",
                page=page,
                base=f"/source/{name}",
                joiner="?",
                empty="No more stories.",
                modified=newest(page.posts),
            )

        return await self.respond(request, f"source:{name}:{number}", render)

    async def search(self, request: Request) -> Response:
        query = request.query_params.get("q", "")[:MAX_QUERY].strip()
        number = page_number(request)

        async def render() -> Rendered:
            where = search_filter(query)
            page = await self.reader.page(number, where) if where else None
            return await self.html(
                "listing.html",
                heading=f"Search: {query}" if query else "Search",
                intro=None
                if where
                else "Type words to look for in headlines, key points and tags.",
                page=page or Page([], 1, False),
                query=query,
                base=f"/search?q={quote(query)}",
                joiner="&",
                empty=f"No stories match “{query}”.",
                noindex=True,
            )

        return await self.respond(request, f"search:{query.lower()}:{number}", render)

    def _category(self, name: str) -> str:
        for category in CATEGORIES:
            if category.lower() == name.lower():
                return category
        raise NotFound(name)

    # -- feeds and machines -------------------------------------------------------------

    async def feed(self, request: Request) -> Response:
        return await self._feed(request, "rss.xml", "application/rss+xml; charset=utf-8")

    async def atom(self, request: Request) -> Response:
        return await self._feed(request, "atom.xml", "application/atom+xml; charset=utf-8")

    async def _feed(self, request: Request, template: str, media_type: str) -> Response:
        name = request.path_params.get("name")
        category = self._category(name) if name else None

        async def render() -> Rendered:
            where = {"category": category} if category else None
            posts = (await self.reader.page(1, where)).posts
            title = (
                f"{self.settings.site_name}: {category}" if category else self.settings.site_name
            )
            return self._xml(
                template,
                newest(posts),
                media_type,
                posts=posts,
                title=title,
                path=f"/category/{category.lower()}" if category else "/",
                feed_path=request.url.path,
            )

        return await self.respond(request, f"{template}:{category}", render)

    async def sitemap(self, request: Request) -> Response:
        async def render() -> Rendered:
            posts = await self.reader.all_for_sitemap()
            categories = await self.reader.categories()
            return self._xml("sitemap.xml", newest(posts), posts=posts, categories=categories)

        return await self.respond(request, "sitemap", render)

    async def robots(self, request: Request) -> Response:
        return PlainTextResponse(
            f"User-agent: *\nDisallow: /search\nDisallow: /api/\n"
            f"Sitemap: {self.settings.site_url}/sitemap.xml\n"
        )

    # -- errors -------------------------------------------------------------------------

    async def not_found(self, request: Request, exc: Exception) -> Response:
        if request.url.path.startswith("/api/"):
            return JSONResponse({"error": "not found"}, 404)
        body, media_type, status, _ = await self.html(
            "error.html",
            status=404,
            heading="Page not found",
            message="There is no story at this address. It may never have existed.",
        )
        return Response(body, status, media_type=media_type)

    async def server_error(self, request: Request, exc: Exception) -> Response:
        # The database may be what failed: render without it.
        body, media_type, _, _ = await self.html(
            "error.html",
            categories=[],
            recent=[],
            heading="Something went wrong",
            message="The page could not be shown just now. Please try again in a moment.",
        )
        return Response(body, 500, media_type=media_type, headers={"cache-control": "no-store"})
