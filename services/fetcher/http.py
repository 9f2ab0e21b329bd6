"""Polite HTTP for the fetcher: robots.txt, one host at a time at a measured pace, conditional
requests, capped bodies and redirects, and every hop checked against the address guard."""

from __future__ import annotations

import asyncio
import time
import urllib.robotparser
from collections import defaultdict
from dataclasses import dataclass, field
from email.utils import parsedate_to_datetime
from urllib.parse import urljoin, urlsplit

import httpx

from services.fetcher.addresses import BlockedAddress, check_destination
from services.fetcher.decoding import decode_body
from services.fetcher.settings import FetcherSettings

ROBOTS_TTL_SECONDS = 3600.0


class FetchError(Exception):
    """A fetch that did not give a usable response; the message says why."""


class Disallowed(FetchError):
    """robots.txt asks crawlers to stay away from this URL."""


class TooLarge(FetchError):
    """The body is larger than the cap."""


@dataclass(frozen=True)
class FetchResult:
    url: str  # after redirects
    status: int
    headers: httpx.Headers
    body: bytes = b""
    retry_after: float | None = None

    @property
    def not_modified(self) -> bool:
        return self.status == 304

    @property
    def content_type(self) -> str | None:
        content_type: str | None = self.headers.get("content-type")
        return content_type


@dataclass
class _Host:
    limit: asyncio.Semaphore
    next_request_at: float = 0.0
    robots: urllib.robotparser.RobotFileParser | None = None
    robots_read_at: float = field(default=-ROBOTS_TTL_SECONDS)


def retry_after_seconds(value: str | None) -> float | None:
    """Retry-After as seconds, from either of its forms (seconds or an HTTP date)."""
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        return max(0.0, parsedate_to_datetime(value).timestamp() - time.time())
    except (TypeError, ValueError, IndexError, OverflowError):
        return None


class PoliteClient:
    def __init__(
        self,
        *,
        user_agent: str,
        timeout_seconds: float,
        max_body_bytes: int,
        max_redirects: int,
        per_host_concurrency: int,
        host_delay_seconds: float,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self.user_agent = user_agent
        self.max_body_bytes = max_body_bytes
        self.max_redirects = max_redirects
        self.per_host_concurrency = per_host_concurrency
        self.host_delay = host_delay_seconds
        self._hosts: defaultdict[str, _Host] = defaultdict(
            lambda: _Host(asyncio.Semaphore(per_host_concurrency))
        )
        self.client = httpx.AsyncClient(
            headers={"user-agent": user_agent, "accept-encoding": "gzip, deflate"},
            timeout=httpx.Timeout(timeout_seconds),
            follow_redirects=False,
            transport=transport,
        )

    @classmethod
    def from_settings(cls, settings: FetcherSettings) -> PoliteClient:
        return cls(
            user_agent=f"Pressroom/0.1 (news aggregator; +{settings.contact_url})",
            timeout_seconds=settings.fetch_timeout_seconds,
            max_body_bytes=settings.max_body_bytes,
            max_redirects=settings.max_redirects,
            per_host_concurrency=settings.per_host_concurrency,
            host_delay_seconds=settings.host_delay_seconds,
        )

    async def close(self) -> None:
        await self.client.aclose()

    async def get(
        self,
        url: str,
        *,
        local: bool = False,
        etag: str | None = None,
        last_modified: str | None = None,
        accept: str = "*/*",
    ) -> FetchResult:
        """GET `url` politely; a 304 when the validators still match. Raises FetchError."""
        headers = {"accept": accept}
        if etag:
            headers["if-none-match"] = etag
        if last_modified:
            headers["if-modified-since"] = last_modified
        for _ in range(self.max_redirects + 1):
            try:
                await check_destination(url, local=local)
            except BlockedAddress as error:
                raise FetchError(f"refused: {error}") from None
            if not await self.allowed_by_robots(url, local=local):
                raise Disallowed(f"robots.txt disallows {url}")
            result = await self._request(url, headers)
            if result.status in (301, 302, 303, 307, 308) and "location" in result.headers:
                url = urljoin(url, result.headers["location"])
                continue
            return result
        raise FetchError(f"more than {self.max_redirects} redirects from {url}")

    async def _request(self, url: str, headers: dict[str, str]) -> FetchResult:
        host = self._hosts[urlsplit(url).netloc.lower()]
        async with host.limit:
            wait = host.next_request_at - time.monotonic()
            if wait > 0:
                await asyncio.sleep(wait)
            host.next_request_at = time.monotonic() + self.host_delay
            try:
                async with self.client.stream("GET", url, headers=headers) as response:
                    declared = int(response.headers.get("content-length") or 0)
                    if declared > self.max_body_bytes:
                        raise TooLarge(
                            f"{url}: body of {declared} bytes is over the cap of "
                            f"{self.max_body_bytes}"
                        )
                    body = bytearray()
                    async for chunk in response.aiter_bytes():
                        body += chunk
                        if len(body) > self.max_body_bytes:
                            raise TooLarge(
                                f"{url}: body over the cap of {self.max_body_bytes} bytes"
                            )
            except httpx.TimeoutException:
                raise FetchError(f"{url}: timed out") from None
            except httpx.HTTPError as error:
                raise FetchError(f"{url}: {type(error).__name__}: {error}") from None
        return FetchResult(
            url=url,
            status=response.status_code,
            headers=response.headers,
            body=bytes(body),
            retry_after=retry_after_seconds(response.headers.get("retry-after")),
        )

    async def allowed_by_robots(self, url: str, *, local: bool = False) -> bool:
        parts = urlsplit(url)
        host = self._hosts[parts.netloc.lower()]
        if host.robots is None or time.monotonic() - host.robots_read_at > ROBOTS_TTL_SECONDS:
            host.robots = await self._read_robots(f"{parts.scheme}://{parts.netloc}/robots.txt")
            host.robots_read_at = time.monotonic()
        return host.robots.can_fetch(self.user_agent, url)

    async def _read_robots(self, robots_url: str) -> urllib.robotparser.RobotFileParser:
        robots = urllib.robotparser.RobotFileParser(robots_url)
        try:
            result = await self._request(robots_url, {"accept": "text/plain"})
        except FetchError:
            result = None
        if result is not None and result.status == 200:
            robots.parse(decode_body(result.body, result.content_type)[0].splitlines())
        elif result is not None and result.status in (401, 403):
            robots.parse(["User-agent: *", "Disallow: /"])
        else:
            robots.parse([])  # none, or unreadable: the site sets no rules
        return robots
