"""The site's addresses, wired to the pages, feeds and API that answer them."""

from __future__ import annotations

from pathlib import Path

from pymongo.errors import PyMongoError
from starlette.applications import Starlette
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles
from starlette.types import ASGIApp

from services.site.api import Api
from services.site.cached_stories import CachedStories
from services.site.middleware import SiteHeaders
from services.site.pages import DatabaseAway, NotFound, Site

STATIC = Path(__file__).parent / "static"


def make_pages(site: Site) -> ASGIApp:
    api = Api(site)
    story = Route("/story/{slug}", site.story)
    pages = Starlette(
        routes=[
            Route("/", site.home),
            story,
            Route("/category/{name}", site.category),
            Route("/category/{name}/feed.xml", site.feed),
            Route("/category/{name}/atom.xml", site.atom),
            Route("/source/{name:path}", site.source),
            Route("/search", site.search),
            Route("/feed.xml", site.feed),
            Route("/atom.xml", site.atom),
            Route("/sitemap.xml", site.sitemap),
            Route("/robots.txt", site.robots),
            Route("/favicon.ico", site.favicon),
            Route("/api/posts", api.posts),
            Route("/api/posts/{slug}", api.post),
            Route("/api/categories", api.categories),
            Route("/api/openapi.json", api.openapi),
            Mount("/static", StaticFiles(directory=STATIC), name="static"),
        ],
        exception_handlers={
            NotFound: site.not_found,
            404: site.not_found,
            405: site.not_found,
            DatabaseAway: site.unavailable,
            PyMongoError: site.unavailable,
            Exception: site.server_error,
        },
    )
    return SiteHeaders(CachedStories(site, story, pages))
