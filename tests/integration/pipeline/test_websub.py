"""WebSub end to end: the whole pipeline as processes, a feed that names a local hub, and an
entry the hub pushes reaching the site with no poll of the feed in between."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import sys
import uuid
from pathlib import Path

import httpx2
import pytest
from starlette.applications import Starlette
from starlette.routing import Mount

from services.demo.feed_server import DEFAULT_DATA, NewsServer, read_articles, rss
from services.demo.websub_hub import WebSubHub
from services.fetcher.sources import source_id_for
from shared.db import Database
from shared.posts import POSTS
from tests.asgi_server import serving
from tests.eval_data import require
from tests.pipeline import Pipeline
from tests.processes import free_port, metric_samples
from tests.waiting import eventually, eventually_async

OUTLET = "Reuters"


async def feed_polls(fetcher_url: str, source_id: str) -> float:
    samples = await metric_samples(fetcher_url, "pressroom_fetch_responses_total")
    return sum(
        s.value for s in samples if (s.labels["source"], s.labels["kind"]) == (source_id, "feed")
    )


async def callbacks(fetcher_url: str, outcome: str) -> float:
    samples = await metric_samples(fetcher_url, "pressroom_websub_callbacks_total")
    return sum(s.value for s in samples if s.labels.get("outcome") == outcome)


@pytest.mark.timeout(240)
async def test_an_entry_a_hub_pushes_is_on_the_site_without_a_poll_and_a_forged_push_is_dropped(
    database: Database, tmp_path: Path
):
    require(DEFAULT_DATA)
    articles = [a for a in read_articles(DEFAULT_DATA) if a.outlet == OUTLET][:5]
    run = uuid.uuid4().hex[:8]
    news = NewsServer(articles, initial=len(articles) - 1)
    hub = WebSubHub(hub_url="")
    port = free_port()
    callback = f"http://127.0.0.1:{port}/websub"
    source_id = source_id_for(OUTLET)

    app = Starlette(routes=[Mount(f"/{run}", app=news.app(hub.routes()))])
    async with serving(app) as root:
        base = f"{root}/{run}"
        hub.hub_url = news.hub_url = f"{base}/hub"
        feed_url = f"{base}/feeds/{source_id}.xml"
        sources = tmp_path / "sources.yaml"
        # Polled once at start, then not for an hour: what arrives later came by push.
        sources.write_text(
            f"sources:\n- id: {source_id}\n  name: {OUTLET}\n  url: {feed_url}\n"
            "  poll_seconds: 3600\n  local: true\n"
        )
        pipeline = Pipeline(
            database.db.name,
            sources,
            settings={"fetcher": {"websub_callback_url": callback, "http_port": str(port)}},
        )
        try:
            await pipeline.start_all()
            fetcher, site = pipeline.services["fetcher"], pipeline.services["site"]
            await eventually(lambda: bool(hub.subscribers(feed_url)), 60, "the hub's subscriber")
            polls = await feed_polls(fetcher.url, source_id)

            async def on_site(url: str) -> bool:
                post = await database.collection(POSTS).find_one({"sources.url": url})
                if post is None:
                    return False
                async with httpx2.AsyncClient() as client:
                    page = await client.get(f"{site.url}/story/{post['slug']}")
                return page.status_code == 200

            news.release_all()
            pushed = f"{base}/articles/{articles[-1].slug}"
            loop = asyncio.get_running_loop()
            started = loop.time()
            await hub.publish(feed_url)
            await eventually_async(lambda: on_site(pushed), 60, "the pushed entry on the site")
            print(
                f"websub: pushed entry on the site {loop.time() - started:.2f} s after the push",
                file=sys.stderr,
            )
            assert await feed_polls(fetcher.url, source_id) == polls  # no poll brought it

            # A push not signed with our secret is acknowledged and dropped.
            forged_url = f"{base}/articles/forged-{run}"
            forged = (
                rss(OUTLET, feed_url, base, [])
                .replace(
                    "</channel>",
                    f"<item><title>Forged</title><link>{forged_url}</link></item></channel>",
                )
                .encode()
            )
            wrong = hmac.new(b"not-the-secret", forged, hashlib.sha256).hexdigest()
            async with httpx2.AsyncClient() as client:
                answer = await client.post(
                    f"{callback}/{source_id}",
                    content=forged,
                    headers={
                        "x-hub-signature": f"sha256={wrong}",
                        "content-type": "application/rss+xml",
                    },
                )
            assert answer.status_code == 202
            assert await callbacks(fetcher.url, "bad_signature") == 1
            assert (
                await database.collection("fetcher_seen").find_one({"canonical_url": forged_url})
                is None
            )
            assert [status for _, status in hub.deliveries] == [202]
        finally:
            pipeline.stop_all()
            await hub.close()
