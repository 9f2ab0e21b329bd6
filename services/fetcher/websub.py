"""WebSub (W3C Recommendation): a feed that names a hub has its new entries pushed to us as
they appear, instead of waiting for the next poll. Polling goes on as before, so an entry
a push never brought (a hub down, a push refused) is still found; an entry both bring is
emitted once (the fetcher remembers what it handled).

The fetcher subscribes when a poll finds a hub (`rel="hub"` in the feed or its `Link`
header) and renews before the lease ends. The hub checks the request at our callback (a
GET we answer with its challenge only for a subscription we asked for), then POSTs new
content there, signed with the secret we gave it (`X-Hub-Signature`). Content whose
signature does not match is acknowledged, as the specification asks, and dropped.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import logging
import re
import secrets
from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Literal

from prometheus_client import Counter
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Route

from services.fetcher.http import FetchError, PoliteClient
from services.fetcher.sources import SourceConfig
from shared.db import Database, upsert

logger = logging.getLogger(__name__)

CALLBACK_PATH = "/websub/{source_id}"
# A request the hub has not verified by then is made again.
UNVERIFIED_FOR = timedelta(minutes=10)
# A subscription is renewed when less than this share of its lease is left.
RENEW_WITHIN = 0.25
SIGNATURES = {
    "sha1": hashlib.sha1,
    "sha256": hashlib.sha256,
    "sha384": hashlib.sha384,
    "sha512": hashlib.sha512,
}

requests_total = Counter(
    "pressroom_websub_requests_total",
    "Subscription requests to WebSub hubs, by source and outcome: accepted (the hub will "
    "verify), refused (the hub answered with an error) or failed (no answer).",
    ["source", "outcome"],
)
callbacks_total = Counter(
    "pressroom_websub_callbacks_total",
    "Calls of the WebSub callback by kind and outcome: a verification (verified, denied, "
    "unknown) or a push (taken, bad_signature, unknown, too_large).",
    ["kind", "outcome"],
)

State = Literal["requested", "active", "denied"]


@dataclass(frozen=True)
class Subscription:
    source_id: str
    hub: str
    topic: str
    secret: str
    state: State
    requested_at: datetime
    lease_until: datetime | None = None

    def renew_now(self, hub: str, topic: str, lease: timedelta, now: datetime) -> bool:
        """Whether to ask `hub` for `topic` now: a new hub or topic, a request not verified
        in time, or a lease running out."""
        if (hub, topic) != (self.hub, self.topic):
            return True
        if self.state != "active" or self.lease_until is None:
            return now - self.requested_at >= UNVERIFIED_FOR
        return self.lease_until - now <= lease * RENEW_WITHIN


class Subscriptions:
    """Each source's subscription, shared by the fetcher's replicas (any may be called)."""

    def __init__(self, database: Database) -> None:
        self.collection = database.collection("websub_subscriptions")

    async def get(self, source_id: str) -> Subscription | None:
        document = await self.collection.find_one({"_id": source_id})
        if document is None:
            return None
        document["source_id"] = document.pop("_id")
        return Subscription(**document)

    async def requested(self, subscription: Subscription) -> None:
        fields = {k: v for k, v in vars(subscription).items() if k != "source_id"}
        await upsert(self.collection, {"_id": subscription.source_id}, {"$set": fields})

    async def verified(self, source_id: str, lease_until: datetime | None) -> None:
        update = {"state": "active", "lease_until": lease_until}
        await self.collection.update_one({"_id": source_id}, {"$set": update})

    async def denied(self, source_id: str) -> None:
        await self.collection.update_one({"_id": source_id}, {"$set": {"state": "denied"}})


def signature_matches(secret: str, body: bytes, header: str | None) -> bool:
    """Whether `header` (`X-Hub-Signature: <method>=<hex>`) is the HMAC of `body`."""
    method, _, given = (header or "").partition("=")
    digest = SIGNATURES.get(method.strip().lower())
    if digest is None or not given:
        return False
    expected = hmac.new(secret.encode(), body, digest).hexdigest()
    return hmac.compare_digest(expected, given.strip().lower())


_LINK = re.compile(r"<([^>]*)>\s*((?:;\s*[^;,]*)*)")
_REL = re.compile(r'rel\s*=\s*"?([^";,]*)"?', re.IGNORECASE)


def header_links(header: str | None) -> dict[str, str]:
    """The `Link` header's targets by relation (`hub`, `self`)."""
    links: dict[str, str] = {}
    for target, params in _LINK.findall(header or ""):
        for rel in (m.group(1) for m in _REL.finditer(params)):
            for name in rel.lower().split():
                links.setdefault(name, target.strip())
    return links


class WebSub:
    """Subscribes a source to the hub its feed names, and keeps the subscription."""

    def __init__(
        self,
        subscriptions: Subscriptions,
        client: PoliteClient,
        callback_base: str,
        lease_seconds: int,
    ) -> None:
        self.subscriptions = subscriptions
        self.client = client
        self.callback_base = callback_base.rstrip("/")
        self.lease = timedelta(seconds=lease_seconds)

    def callback(self, source_id: str) -> str:
        return self.callback_base + "/" + source_id

    async def offered(
        self, source: SourceConfig, hub: str | None, topic: str | None, now: datetime
    ) -> None:
        """A poll of `source` found `hub` (or none): subscribe, or renew, when due."""
        if hub is None:
            return
        topic = topic or source.url
        current = await self.subscriptions.get(source.id)
        if current is not None and not current.renew_now(hub, topic, self.lease, now):
            return
        secret = current.secret if current and current.hub == hub else secrets.token_hex(32)
        await self.subscriptions.requested(
            Subscription(source.id, hub, topic, secret, "requested", now)
        )
        fields = {
            "hub.mode": "subscribe",
            "hub.topic": topic,
            "hub.callback": self.callback(source.id),
            "hub.secret": secret,
            "hub.lease_seconds": str(int(self.lease.total_seconds())),
        }
        try:
            answer = await self.client.post_form(hub, fields)
        except FetchError as error:
            requests_total.labels(source.id, "failed").inc()
            logger.warning(
                "websub request failed", extra={"source": source.id, "reason": str(error)}
            )
            return
        accepted = 200 <= answer.status < 300
        requests_total.labels(source.id, "accepted" if accepted else "refused").inc()
        log = logger.info if accepted else logger.warning
        log(
            "websub subscription requested" if accepted else "websub hub refused a subscription",
            extra={"source": source.id, "hub": hub, "status": answer.status},
        )


TakePushed = Callable[[str, bytes, str | None], Coroutine[Any, Any, Any]]


class Callback:
    """The callback the hubs call: verifications (GET) and pushed content (POST). A push is
    acknowledged at once and handled in the background; should that fail, the next poll
    finds the entries."""

    def __init__(
        self, subscriptions: Subscriptions, take_pushed: TakePushed, max_body_bytes: int
    ) -> None:
        self.subscriptions = subscriptions
        self.take_pushed = take_pushed
        self.max_body_bytes = max_body_bytes
        self._handling: set[asyncio.Task[Any]] = set()

    def app(self) -> Starlette:
        return Starlette(
            routes=[Route(CALLBACK_PATH, self.endpoint, methods=["GET", "POST"])],
        )

    async def endpoint(self, request: Request) -> Response:
        source_id = request.path_params["source_id"]
        if request.method == "GET":
            return await self.verify(source_id, request.query_params)
        return await self.pushed(source_id, request)

    async def verify(self, source_id: str, query: Any) -> Response:
        mode, topic = query.get("hub.mode"), query.get("hub.topic")
        subscription = await self.subscriptions.get(source_id)
        if subscription is None or subscription.topic != topic or subscription.state == "denied":
            callbacks_total.labels("verification", "unknown").inc()
            return PlainTextResponse("no such subscription", 404)
        if mode == "denied":
            await self.subscriptions.denied(source_id)
            callbacks_total.labels("verification", "denied").inc()
            logger.warning("websub subscription denied", extra={"source": source_id})
            return PlainTextResponse("")
        if mode != "subscribe" or not (challenge := query.get("hub.challenge")):
            callbacks_total.labels("verification", "unknown").inc()
            return PlainTextResponse("not a subscription we asked for", 404)
        lease = _seconds(query.get("hub.lease_seconds"))
        until = datetime.now(UTC) + timedelta(seconds=lease) if lease else None
        await self.subscriptions.verified(source_id, until)
        callbacks_total.labels("verification", "verified").inc()
        return PlainTextResponse(challenge)

    async def pushed(self, source_id: str, request: Request) -> Response:
        body = bytearray()
        async for chunk in request.stream():
            body += chunk
            if len(body) > self.max_body_bytes:
                callbacks_total.labels("push", "too_large").inc()
                return PlainTextResponse("too large", 413)
        subscription = await self.subscriptions.get(source_id)
        if subscription is None or subscription.state != "active":
            callbacks_total.labels("push", "unknown").inc()
            return PlainTextResponse("no such subscription", 404)
        if not signature_matches(
            subscription.secret, bytes(body), request.headers.get("x-hub-signature")
        ):
            callbacks_total.labels("push", "bad_signature").inc()
            logger.warning("websub push with a bad signature dropped", extra={"source": source_id})
            return PlainTextResponse("", 202)  # acknowledged and dropped, as WebSub asks
        callbacks_total.labels("push", "taken").inc()
        task: asyncio.Task[Any] = asyncio.create_task(
            self.take_pushed(source_id, bytes(body), request.headers.get("content-type"))
        )
        self._handling.add(task)
        task.add_done_callback(self._handling.discard)
        return PlainTextResponse("", 202)


def _seconds(value: str | None) -> int:
    try:
        return max(0, int(value or 0))
    except ValueError:
        return 0
