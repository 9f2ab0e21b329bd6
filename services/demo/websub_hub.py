"""A WebSub hub for demos and tests, as the W3C Recommendation describes one: subscribers
ask at `POST /` (`hub.mode=subscribe`), the hub verifies their intent at their callback
with a challenge, and publishers ping it (`hub.mode=publish`, `hub.url=<topic>`), upon
which it fetches the topic and delivers the content to every subscriber, signed with the
subscriber's secret (`X-Hub-Signature: sha256=...`).

It keeps its subscriptions in memory and delivers once per ping (no retries): enough to
drive the fetcher's subscriber over loopback, no production hub.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import secrets
import time
from dataclasses import dataclass
from urllib.parse import parse_qs, urlencode

import httpx2
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import BaseRoute, Route


@dataclass(frozen=True)
class HubSubscription:
    callback: str
    topic: str
    secret: str | None
    expires_at: float


class WebSubHub:
    def __init__(self, hub_url: str) -> None:
        self.hub_url = hub_url  # its own public address, named in the deliveries' Link header
        self.subscriptions: dict[tuple[str, str], HubSubscription] = {}
        self.deliveries: list[tuple[str, int]] = []  # (callback, status) of each delivery
        self._client = httpx2.AsyncClient(timeout=10.0)
        self._verifying: set[asyncio.Task[None]] = set()

    def routes(self, path: str = "/hub") -> list[BaseRoute]:
        return [Route(path, self.endpoint, methods=["POST"])]

    async def close(self) -> None:
        await self._client.aclose()

    def subscribers(self, topic: str) -> list[HubSubscription]:
        now = time.time()
        return [s for (_, t), s in self.subscriptions.items() if t == topic and s.expires_at > now]

    async def endpoint(self, request: Request) -> Response:
        form = {k: v[0] for k, v in parse_qs((await request.body()).decode()).items()}
        mode, topic = form.get("hub.mode", ""), form.get("hub.topic", "")
        if mode == "publish":
            await self.publish(form.get("hub.url") or topic)
            return PlainTextResponse("", 204)
        callback = form.get("hub.callback", "")
        if mode not in ("subscribe", "unsubscribe") or not callback.startswith("http"):
            return PlainTextResponse("hub.mode, hub.topic and hub.callback are needed", 400)
        lease = int(form.get("hub.lease_seconds") or 86_400)
        secret = form.get("hub.secret") or None
        task = asyncio.create_task(self._verify(mode, callback, topic, secret, lease))
        self._verifying.add(task)
        task.add_done_callback(self._verifying.discard)
        return PlainTextResponse("", 202)

    async def _verify(
        self, mode: str, callback: str, topic: str, secret: str | None, lease: int
    ) -> None:
        """Verification of intent: the subscriber echoes our challenge, or nothing changes."""
        challenge = secrets.token_urlsafe(16)
        query = {
            "hub.mode": mode,
            "hub.topic": topic,
            "hub.challenge": challenge,
            "hub.lease_seconds": str(lease),
        }
        separator = "&" if "?" in callback else "?"
        try:
            answer = await self._client.get(callback + separator + urlencode(query))
        except httpx2.HTTPError:
            return
        if not answer.is_success or answer.text != challenge:
            return
        if mode == "subscribe":
            expires = time.time() + lease
            self.subscriptions[(callback, topic)] = HubSubscription(
                callback, topic, secret, expires
            )
        else:
            self.subscriptions.pop((callback, topic), None)

    async def publish(self, topic: str) -> None:
        """Fetch `topic` and deliver it to its subscribers."""
        content = await self._client.get(topic)
        content_type = content.headers.get("content-type", "application/octet-stream")
        links = f'<{self.hub_url}>; rel="hub", <{topic}>; rel="self"'
        await asyncio.gather(
            *(
                self._deliver(s, content.content, content_type, links)
                for s in self.subscribers(topic)
            )
        )

    async def _deliver(
        self, subscription: HubSubscription, body: bytes, content_type: str, links: str
    ) -> None:
        headers = {"content-type": content_type, "link": links}
        if subscription.secret:
            digest = hmac.new(subscription.secret.encode(), body, hashlib.sha256).hexdigest()
            headers["x-hub-signature"] = f"sha256={digest}"
        try:
            answer = await self._client.post(subscription.callback, content=body, headers=headers)
            self.deliveries.append((subscription.callback, answer.status_code))
        except httpx2.HTTPError:
            self.deliveries.append((subscription.callback, 0))
