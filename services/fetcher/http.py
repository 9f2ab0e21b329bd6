"""Polite HTTP for the fetcher: robots.txt, one host at a time at a measured pace, conditional
requests, capped bodies and redirects, and every connection through the address guard
(`services/fetcher/connect.py`)."""

from __future__ import annotations

import asyncio
import time
from collections import defaultdict
from dataclasses import dataclass
from email.utils import parsedate_to_datetime
from urllib.parse import urlencode, urljoin, urlsplit

import httpx2

from services.fetcher.addresses import (
    BlockedAddress,
    Resolver,
    check_url,
    host_of,
    system_resolver,
)
from services.fetcher.connect import GuardedNetwork, GuardedTransport
from services.fetcher.decoding import decode_body
from services.fetcher.inflate import BoundedInflater, Inflated, OverCap
from services.fetcher.robots import MAX_REDIRECTS, RobotsRules, rules_for
from services.fetcher.settings import FetcherSettings
from shared.tracing import TracedTransport
from shared.version import VERSION

REDIRECTS = (301, 302, 303, 307, 308)


class FetchError(Exception):
    """A fetch that did not give a usable response; the message says why."""


class Disallowed(FetchError):
    """robots.txt asks crawlers to stay away from this URL."""


class Refused(FetchError):
    """The address guard refused the URL or the address its host resolved to."""


class TooLarge(FetchError):
    """The body is larger than the cap."""


@dataclass(frozen=True)
class FetchResult:
    url: str  # after redirects
    status: int
    headers: httpx2.Headers
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
    robots: RobotsRules | None = None
    robots_until: float = 0.0  # when robots.txt is asked again
    delay: float | None = None  # the host's own Crawl-delay


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
        deadline_seconds: float | None = None,
        max_redirects: int,
        per_host_concurrency: int,
        host_delay_seconds: float,
        max_concurrent_fetches: int = 32,
        local_hosts: set[str] | None = None,
        resolver: Resolver = system_resolver,
        transport: httpx2.AsyncBaseTransport | None = None,
    ) -> None:
        """`local_hosts`: hosts that may be on loopback or private addresses (the local
        sources' own); `transport` replaces the guarded network (tests)."""
        self.user_agent = user_agent
        self.max_body_bytes = max_body_bytes
        self.deadline = deadline_seconds or 4 * timeout_seconds
        self.max_redirects = max_redirects
        self.per_host_concurrency = per_host_concurrency
        self.host_delay = host_delay_seconds
        self._in_flight = asyncio.Semaphore(max_concurrent_fetches)
        self.local_hosts = set() if local_hosts is None else local_hosts
        self._hosts: defaultdict[str, _Host] = defaultdict(
            lambda: _Host(asyncio.Semaphore(per_host_concurrency))
        )
        self.resolver = resolver
        self.client = httpx2.AsyncClient(
            headers={"user-agent": user_agent, "accept-encoding": "gzip, deflate"},
            timeout=httpx2.Timeout(timeout_seconds),
            follow_redirects=False,
            trust_env=False,  # no proxy or certificate settings from the environment
            transport=TracedTransport(
                transport
                or GuardedTransport(GuardedNetwork(local_hosts=self.local_hosts, resolver=resolver))
            ),
        )

    @classmethod
    def from_settings(
        cls, settings: FetcherSettings, resolver: Resolver = system_resolver
    ) -> PoliteClient:
        return cls(
            resolver=resolver,
            user_agent=f"Pressroom/{VERSION} (news aggregator; +{settings.contact_url})",
            timeout_seconds=settings.fetch_timeout_seconds,
            deadline_seconds=settings.fetch_deadline_seconds,
            max_body_bytes=settings.max_body_bytes,
            max_redirects=settings.max_redirects,
            per_host_concurrency=settings.per_host_concurrency,
            host_delay_seconds=settings.host_delay_seconds,
            max_concurrent_fetches=settings.max_concurrent_fetches,
        )

    async def close(self) -> None:
        await self.client.aclose()

    def allow_local(self, url: str) -> None:
        """Let `url`'s host (a local source's own) be on loopback or private addresses."""
        self.local_hosts.add(host_of(url))

    async def get(
        self,
        url: str,
        *,
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
            if not await self.allowed_by_robots(url):
                raise Disallowed(f"robots.txt disallows {url}")
            result = await self._request(url, headers)
            if result.status in REDIRECTS and "location" in result.headers:
                url = urljoin(url, result.headers["location"])
                continue
            return result
        raise FetchError(f"more than {self.max_redirects} redirects from {url}")

    async def post_form(self, url: str, fields: dict[str, str]) -> FetchResult:
        """POST `fields` form-encoded to `url` (a WebSub hub), through the same address
        guard, pace and caps as a GET; redirects are not followed. Raises FetchError."""
        body = urlencode(fields).encode()
        headers = {"content-type": "application/x-www-form-urlencoded"}
        return await self._request(url, headers, method="POST", content=body)

    async def _request(
        self, url: str, headers: dict[str, str], *, method: str = "GET", content: bytes = b""
    ) -> FetchResult:
        try:
            check_url(url, local_hosts=self.local_hosts)
        except BlockedAddress as error:
            raise Refused(f"refused: {error}") from None
        netloc = urlsplit(url).netloc.lower()
        host = self._hosts[netloc]
        async with host.limit:
            wait = host.next_request_at - time.monotonic()
            if wait > 0:
                await asyncio.sleep(wait)
            host.next_request_at = time.monotonic() + self.pace(netloc)
            async with self._in_flight:  # not held while waiting for the host's pace
                return await self._exchange(url, headers, method, content)

    async def _exchange(
        self, url: str, headers: dict[str, str], method: str = "GET", content: bytes = b""
    ) -> FetchResult:
        try:
            async with (
                asyncio.timeout(self.deadline),  # the read timeout is per read: not enough
                self.client.stream(
                    method, url, headers=headers, content=content or None
                ) as response,
            ):
                declared = int(response.headers.get("content-length") or 0)
                if declared > self.max_body_bytes:
                    raise TooLarge(
                        f"{url}: body of {declared} bytes is over the cap of {self.max_body_bytes}"
                    )
                # Inflated here, a chunk at a time under the cap, not by httpx2.
                inflater = BoundedInflater(
                    response.headers.get("content-encoding"), self.max_body_bytes
                )
                body = bytearray()
                async for chunk in response.aiter_raw():
                    body += inflater.feed(chunk)
        except BlockedAddress as error:  # from the guarded network, as it connected
            raise Refused(f"refused: {url!r}: {error}") from None
        except OverCap as error:
            raise TooLarge(f"{url}: body {error}") from None
        except Inflated as error:
            raise FetchError(f"{url}: {error}") from None
        except httpx2.TimeoutException:
            raise FetchError(f"{url}: timed out") from None
        except TimeoutError:
            raise FetchError(f"{url}: not read within {self.deadline:g} s") from None
        except httpx2.HTTPError as error:
            raise FetchError(f"{url}: {type(error).__name__}: {error}") from None
        return FetchResult(
            url=url,
            status=response.status_code,
            headers=response.headers,
            body=bytes(body),
            retry_after=retry_after_seconds(response.headers.get("retry-after")),
        )

    def pace(self, netloc: str) -> float:
        """Seconds between two requests to a host: ours, or its Crawl-delay if longer."""
        return max(self.host_delay, self._hosts[netloc.lower()].delay or 0.0)

    async def allowed_by_robots(self, url: str) -> bool:
        parts = urlsplit(url)
        host = self._hosts[parts.netloc.lower()]
        if host.robots is None or time.monotonic() >= host.robots_until:
            robots_url = f"{parts.scheme}://{parts.netloc}/robots.txt"
            host.robots = await self._read_robots(robots_url)
            host.robots_until = time.monotonic() + host.robots.kept_seconds
            host.delay = host.robots.crawl_delay(self.user_agent)
        return host.robots.allows(url, self.user_agent)

    async def _read_robots(self, url: str) -> RobotsRules:
        """robots.txt, its redirects followed (each hop through the address guard). Raises
        Refused when the host itself may not be reached."""
        for hop in range(MAX_REDIRECTS + 1):
            try:
                result = await self._request(url, {"accept": "text/plain"})
            except Refused:
                if hop == 0:
                    raise
                return rules_for(None)
            except FetchError:
                return rules_for(None)
            if result.status in REDIRECTS and "location" in result.headers:
                url = urljoin(url, result.headers["location"])
                continue
            return rules_for(result.status, decode_body(result.body, result.content_type)[0])
        return rules_for(404)  # more redirects than RFC 9309 follows: as if there were none
