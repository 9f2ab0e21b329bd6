"""The site with PRESSROOM_OPS_PORT, as it runs in k8s and compose: its pages on the
public port and nothing else; /metrics, /health and /ready on the operators' port only."""

from __future__ import annotations

import json

import httpx2

from shared.db import Database
from tests.processes import free_port, running_service


async def test_the_public_port_serves_pages_and_the_ops_port_serves_the_operators(
    database: Database,
):
    ops_port = free_port()
    async with (
        running_service("site", database.db.name, ops_port=str(ops_port)) as site,
        httpx2.AsyncClient(timeout=10) as client,
    ):
        ops = f"http://127.0.0.1:{ops_port}"
        assert (await client.get(f"{site.url}/")).status_code == 200
        for path in ("/metrics", "/health", "/ready"):
            public = await client.get(f"{site.url}{path}")
            assert public.status_code == 404, path
            assert "pressroom_" not in public.text
            assert (await client.get(f"{ops}{path}")).status_code == 200, path
        assert "pressroom_site" in (await client.get(f"{ops}/metrics")).text
        assert (await client.get(f"{ops}/")).status_code == 404  # no pages there

        # Structured lines only, and none per request (the metrics count requests).
        lines = [json.loads(line) for line in site.read_log().splitlines() if line.strip()]
        assert lines
        assert not [line for line in lines if "GET /" in line.get("message", "")]
