"""Story pages the cache holds, answered before the router.

The story page is the most read, and a cached one costs little but its plumbing: Starlette's
routing, middleware, request and response objects were about a third of it. A plain GET
of a story page in the cache is answered here, its view counted as the page itself
counts it; anything else (a conditional request, a query string, a page not cached) goes
the usual way. The security headers and request metrics wrap both (`SiteHeaders`).
"""

from __future__ import annotations

from starlette.routing import BaseRoute
from starlette.types import ASGIApp, Receive, Scope, Send

from services.site.pages import Site

CONDITIONAL = (b"if-none-match", b"if-modified-since")


class CachedStories:
    def __init__(self, site: Site, route: BaseRoute, app: ASGIApp) -> None:
        self.site = site
        self.route = route  # the story page's, named in the request metrics
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if (
            scope["type"] == "http"
            and scope["method"] == "GET"
            and not scope["query_string"]
            and scope["path"].startswith("/story/")
        ):
            headers = dict(scope["headers"])
            if not any(name in headers for name in CONDITIONAL):
                page = self.site.cached_story(scope["path"])
                if page is not None:
                    user_agent = headers.get(b"user-agent")
                    language = headers.get(b"accept-language")
                    self.site.viewed(
                        page,
                        "GET",
                        scope["client"][0] if scope.get("client") else None,
                        user_agent.decode("latin-1") if user_agent is not None else None,
                        language.decode("latin-1") if language is not None else None,
                        conditional=False,
                    )
                    scope["route"] = self.route
                    answer = [
                        (b"content-length", str(len(page.body)).encode()),
                        (b"content-type", page.media_type.encode()),
                        *((k.encode(), v.encode()) for k, v in self.site.validators(page).items()),
                    ]
                    await send({"type": "http.response.start", "status": 200, "headers": answer})
                    await send({"type": "http.response.body", "body": page.body})
                    return
        await self.app(scope, receive, send)
