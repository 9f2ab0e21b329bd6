"""What every response of the site carries: security headers, and request metrics."""

from __future__ import annotations

import functools
import time

from prometheus_client import Counter, Histogram
from starlette.types import ASGIApp, Message, Receive, Scope, Send

CONTENT_SECURITY_POLICY = (
    "default-src 'self'; img-src 'self' https: http: data:; style-src 'self'; "
    "script-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; "
    "frame-ancestors 'none'"
)
SECURITY_HEADERS = [
    (b"content-security-policy", CONTENT_SECURITY_POLICY.encode()),
    (b"x-content-type-options", b"nosniff"),
    (b"x-frame-options", b"DENY"),
    (b"referrer-policy", b"strict-origin-when-cross-origin"),
    (b"permissions-policy", b"camera=(), microphone=(), geolocation=(), interest-cohort=()"),
    (b"cross-origin-opener-policy", b"same-origin"),
]

requests_total = Counter(
    "pressroom_site_requests_total",
    "Requests to the site, by route and status.",
    ["route", "status"],
)
request_seconds = Histogram(
    "pressroom_site_request_seconds",
    "Time to answer a request, by route.",
    ["route"],
    buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5),
)


class SiteHeaders:
    """Adds the security headers to every response and counts it by route template."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500

        async def send_with_headers(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                message["headers"] = [*message.get("headers", []), *SECURITY_HEADERS]
            await send(message)

        try:
            await self.app(scope, receive, send_with_headers)
        finally:
            name = getattr(scope.get("route"), "path", "unmatched")
            counted, timed = self._metrics(name, status)
            counted.inc()
            timed.observe(time.perf_counter() - started)

    @staticmethod
    @functools.cache
    def _metrics(route: str, status: int) -> tuple[Counter, Histogram]:
        """The metrics' children for a route and status, looked up once (routes are the
        app's templates, and statuses few: the set stays small)."""
        return requests_total.labels(route, str(status)), request_seconds.labels(route)
