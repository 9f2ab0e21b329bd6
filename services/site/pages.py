"""The site's pages and feeds: each rendered once, cached, and served with validators.

The cache is asked before the database for every page, unknown addresses included (their
404 is cached too), so a page served from memory costs no query; a view is counted in
memory (`views.py`). Each page carries the tags of what it shows, and a published post
invalidates only the tags it changes (`tags_changed_by`): its own page and the listings
and feeds it is on. The "recent" and "related" boxes of other pages may lag by up to
`page_cache_seconds`.

When the database cannot be reached, a page the cache holds is served however old it is;
one it does not hold gets a 503 page.
"""

from __future__ import annotations

import asyncio
import re
import time
from collections.abc import Awaitable, Callable, Iterable
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any, NamedTuple
from urllib.parse import quote

from pymongo.errors import PyMongoError
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, RedirectResponse, Response

from services.site.bots import is_bot
from services.site.cache import CachedPage, PageCache
from services.site.posts import CATEGORIES, Page, PostReader, SitemapEntry, search_filter
from services.site.rendering import make_environment
from services.site.settings import SiteSettings
from services.site.views import ViewCounter, client_of
from shared.events import PostPublished
from shared.posts import Post, PostListing

SLUG = re.compile(r"^[a-z0-9-]{1,120}$")
MAX_PAGE = 1000
MAX_QUERY = 200
AWAY_SECONDS = 5.0  # after the database failed a render, how long it is not asked again


class Rendered(NamedTuple):
    body: bytes
    media_type: str
    status: int
    modified: datetime | None
    location: str | None = None  # of a redirect
    story_id: str | None = None  # the story a story page shows


class NotFound(Exception):
    """The address names nothing the site has."""


class DatabaseAway(Exception):
    """The database cannot be reached and the cache does not hold the page."""


def tags_changed_by(post: PostPublished) -> set[str]:
    """The cache tags a published post changes: its page, the listings it is on (home,
    its category, every source and search listing), the feeds and the sitemap."""
    return {
        f"post:{post.slug}",
        "home",
        f"category:{post.category}",
        "sources",
        "search",
        "sitemap",
    }


def page_number(request: Request) -> int:
    try:
        return min(MAX_PAGE, max(1, int(request.query_params.get("page", "1"))))
    except ValueError:
        return 1


def newest(posts: Iterable[PostListing | SitemapEntry]) -> datetime | None:
    return max((p.updated_at for p in posts), default=None)


class Site:
    def __init__(
        self,
        reader: PostReader,
        cache: PageCache,
        settings: SiteSettings,
        views: ViewCounter | None = None,
    ) -> None:
        self.reader = reader
        self.cache = cache
        self.settings = settings
        self.views = views
        self.templates = make_environment()
        self._away_until = 0.0
        self._chrome: tuple[float, dict[str, Any]] | None = None  # (read at, context)
        self._rendering: dict[str, asyncio.Future[CachedPage]] = {}  # by cache key

    # -- plumbing -----------------------------------------------------------------------

    async def respond(
        self,
        request: Request,
        key: str,
        render: Callable[[], Awaitable[Rendered]],
        tags: Iterable[str] = (),
    ) -> Response:
        """The cached page (rendering it on a miss), or 304 when the client has it."""
        return self.answer(request, await self.page(key, render, tags))

    async def page(
        self, key: str, render: Callable[[], Awaitable[Rendered]], tags: Iterable[str] = ()
    ) -> CachedPage:
        """The page from the cache, else rendered and cached; when the database is away,
        the cache's page however old, else DatabaseAway. Readers who miss the same page
        at once wait for one render: a publish that invalidates the home page under load
        costs one render, not one per waiting reader."""
        if (page := self.cache.get(key)) is not None:
            return page
        if time.monotonic() < self._away_until:
            return self._stale(key)
        if (rendering := self._rendering.get(key)) is None:
            rendering = asyncio.ensure_future(self._render(key, render, tags))
            self._rendering[key] = rendering
            rendering.add_done_callback(lambda _: self._rendering.pop(key, None))
        # Shielded: a reader who leaves does not cancel the render the others wait for.
        return await asyncio.shield(rendering)

    async def _render(
        self, key: str, render: Callable[[], Awaitable[Rendered]], tags: Iterable[str]
    ) -> CachedPage:
        began = self.cache.sequence
        try:
            rendered = await render()
        except PyMongoError:
            self._away_until = time.monotonic() + AWAY_SECONDS
            return self._stale(key)
        return self.cache.put(
            key,
            rendered.body,
            rendered.media_type,
            rendered.status,
            rendered.modified.timestamp() if rendered.modified else None,
            tags=tags,
            began=began,
            story_id=rendered.story_id,
            location=rendered.location,
        )

    def _stale(self, key: str) -> CachedPage:
        if (page := self.cache.stale(key)) is None:
            raise DatabaseAway(key)
        return page

    def answer(self, request: Request, page: CachedPage) -> Response:
        headers = self.validators(page)
        if page.location is not None:
            headers["location"] = page.location
        if page.status == 200 and self._not_modified(request, page):
            return Response(status_code=304, headers=headers)
        return Response(page.body, page.status, headers=headers, media_type=page.media_type)

    def validators(self, page: CachedPage) -> dict[str, str]:
        """The headers that let clients and CDNs keep `page`: its ETag, Cache-Control and
        Last-Modified."""
        headers = {
            "etag": page.etag,
            "cache-control": f"public, max-age={self.settings.cdn_max_age_seconds}, "
            "stale-while-revalidate=60",
        }
        if page.last_modified_header is not None:
            headers["last-modified"] = page.last_modified_header
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

    def changed(self, post: PostPublished) -> None:
        """A post was published or withdrawn: drop what it changes."""
        self.cache.invalidate(tags_changed_by(post))
        self._chrome = None

    def forget(self) -> None:
        """Drop every page and the chrome (tests; an operator's reset)."""
        self.cache.clear()
        self._chrome = None

    async def chrome(self) -> dict[str, Any]:
        """What every page shows around its content (the categories, the recent posts):
        read once for all pages, again after a post changes or `page_cache_seconds`."""
        now = time.monotonic()
        if self._chrome is None or now - self._chrome[0] > self.settings.page_cache_seconds:
            categories = await self.reader.categories()
            recent = await self.reader.recent()
            self._chrome = (now, {"categories": categories, "recent": recent})
        return self._chrome[1]

    async def html(self, template: str, status: int = 200, **context: Any) -> Rendered:
        if "categories" not in context or "recent" not in context:
            context = {**await self.chrome(), **context}
        body = self.templates.get_template(template).render(
            site_name=self.settings.site_name, site_url=self.settings.site_url, **context
        )
        return Rendered(body.encode(), "text/html; charset=utf-8", status, context.get("modified"))

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
        return Rendered(body.encode(), media_type, 200, modified)

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

        return await self.respond(request, f"home:{number}", render, ("home",))

    async def story(self, request: Request) -> Response:
        slug = request.path_params["slug"]
        if not SLUG.match(slug):
            raise NotFound(slug)

        async def render() -> Rendered:
            post = await self.reader.by_slug(slug)
            if post is None:
                # A story merged into another: its address leads there, for good.
                if successor := await self.reader.successor(slug):
                    to = f"/story/{quote(successor.slug)}"
                    return Rendered(b"", "text/plain", 301, None, location=to)
                return await self.not_found_page()
            story = await self.html("story.html", **await self._story_context(post))
            return story._replace(story_id=post.story_id)

        page = await self.page(f"story:{slug}", render, (f"post:{slug}",))
        headers = request.headers
        self.viewed(
            page,
            request.method,
            request.client.host if request.client else None,
            headers.get("user-agent"),
            headers.get("accept-language"),
            conditional=bool(headers.get("if-none-match") or headers.get("if-modified-since")),
        )
        return self.answer(request, page)

    def viewed(
        self,
        page: CachedPage,
        method: str,
        host: str | None,
        user_agent: str | None,
        language: str | None,
        *,
        conditional: bool,
    ) -> None:
        """Count a view of a story page: a GET by a browser that did not already have the
        page (a 304 is no view)."""
        if page.story_id is None or self.views is None or method != "GET" or conditional:
            return
        if not is_bot(user_agent):
            self.views.record(page.story_id, client_of(host, user_agent, language))

    def cached_story(self, path: str) -> CachedPage | None:
        """The story page at `path` if the cache has it fresh and it is one (no redirect or
        not-found page): what `CachedStories` answers."""
        slug = path.removeprefix("/story/")
        if slug == path or not SLUG.match(slug):
            return None
        key = f"story:{slug}"
        if (page := self.cache.peek(key)) is None or page.status != 200:
            return None
        return self.cache.get(key)

    async def _story_context(self, post: Post) -> dict[str, Any]:
        url = f"{self.settings.site_url}/story/{post.slug}"
        sources = post.sources
        structured = {
            "@context": "https://schema.org",
            "@type": "NewsArticle",
            "headline": post.headline[:110],
            "datePublished": post.first_published_at.isoformat(),
            "dateModified": post.updated_at.isoformat(),
            "articleSection": post.category,
            "mainEntityOfPage": url,
            "description": post.key_points[0].text if post.key_points else "",
            "publisher": {"@type": "Organization", "name": self.settings.site_name},
            "isBasedOn": [s.url for s in sources],
            **({"image": [post.lead_image.url]} if post.lead_image else {}),
        }
        return {
            "post": post,
            "url": url,
            "sources": sources,
            "source_by_id": {s.article_id: s for s in sources},
            "source_number": {s.article_id: i for i, s in enumerate(sources, 1)},
            "tags": post.tags,
            "related": await self.reader.related(post),
            "structured": structured,
            "current_category": post.category,
            "modified": post.updated_at,
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

        return await self.respond(
            request, f"category:{name}:{number}", render, (f"category:{name}",)
        )

    async def source(self, request: Request) -> Response:
        name = request.path_params["name"][:200]
        number = page_number(request)

        async def render() -> Rendered:
            page = await self.reader.page(number, {"source_names": name})
            if not page.posts and number == 1:
                return await self.not_found_page()
            return await self.html(
                "listing.html",
                heading=f"Stories reported by {name}",
                page=page,
                base=f"/source/{name}",
                joiner="?",
                empty="No more stories.",
                modified=newest(page.posts),
            )

        return await self.respond(request, f"source:{name}:{number}", render, ("sources",))

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

        return await self.respond(request, f"search:{query.lower()}:{number}", render, ("search",))

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

        tag = f"category:{category}" if category else "home"
        return await self.respond(request, f"{template}:{category}", render, (tag,))

    async def sitemap(self, request: Request) -> Response:
        async def render() -> Rendered:
            posts = await self.reader.all_for_sitemap()
            categories = await self.reader.categories()
            return self._xml("sitemap.xml", newest(posts), posts=posts, categories=categories)

        return await self.respond(request, "sitemap", render, ("sitemap",))

    async def favicon(self, request: Request) -> Response:
        """Browsers ask for /favicon.ico whatever the page names: the site's icon."""
        return RedirectResponse("/static/favicon.svg", status_code=301)

    async def robots(self, request: Request) -> Response:
        return PlainTextResponse(
            f"User-agent: *\nDisallow: /search\nDisallow: /api/\n"
            f"Sitemap: {self.settings.site_url}/sitemap.xml\n"
        )

    # -- errors -------------------------------------------------------------------------

    async def not_found_page(self) -> Rendered:
        return await self.html(
            "error.html",
            status=404,
            heading="Page not found",
            message="There is no story at this address. It may never have existed.",
        )

    async def not_found(self, request: Request, exc: Exception) -> Response:
        if request.url.path.startswith("/api/"):
            return JSONResponse({"error": "not found"}, 404)
        try:
            page = await self.page("not-found", self.not_found_page, ("home",))
        except DatabaseAway:
            return await self.unavailable(request, exc)
        return Response(page.body, 404, media_type=page.media_type)

    async def unavailable(self, request: Request, exc: Exception) -> Response:
        """A page the cache does not hold while the database cannot be reached."""
        if request.url.path.startswith("/api/"):
            return JSONResponse({"error": "the database is unavailable"}, 503)
        rendered = await self.html(
            "error.html",
            categories=[],
            recent=[],
            heading="This page is not available just now",
            message="The site cannot reach its database, and this page is not among those "
            "it keeps at hand. Please try again in a minute.",
        )
        headers = {"cache-control": "no-store", "retry-after": "30"}
        return Response(rendered.body, 503, media_type=rendered.media_type, headers=headers)

    async def server_error(self, request: Request, exc: Exception) -> Response:
        # The database may be what failed: render without it.
        rendered = await self.html(
            "error.html",
            categories=[],
            recent=[],
            heading="Something went wrong",
            message="The page could not be shown just now. Please try again in a moment.",
        )
        return Response(
            rendered.body,
            500,
            media_type=rendered.media_type,
            headers={"cache-control": "no-store"},
        )
