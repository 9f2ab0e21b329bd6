"""A real Prometheus (Debian's package) scrapes every Pressroom service while they run."""

from __future__ import annotations

import shutil
import subprocess
from contextlib import AsyncExitStack
from pathlib import Path

import httpx2
import pytest
import yaml

from services.registry import SERVICES
from shared.db import Database
from tests.processes import LOGS, free_port, running_service
from tests.waiting import eventually_async

PROMETHEUS = shutil.which("prometheus")


@pytest.mark.timeout(240)
async def test_prometheus_scrapes_every_service(database: Database, tmp_path: Path):
    assert PROMETHEUS, "prometheus is not installed (apt-get install prometheus; .ci/run does)"
    sources = tmp_path / "sources.yaml"
    sources.write_text("sources: []\n")
    async with AsyncExitStack() as running:
        services = [
            await running.enter_async_context(
                running_service(name, database.db.name, sources_file=str(sources))
            )
            for name in SERVICES
        ]
        config = {
            "global": {"scrape_interval": "1s"},
            "scrape_configs": [
                {
                    "job_name": "pressroom",
                    "static_configs": [
                        {"targets": [f"127.0.0.1:{s.port}"], "labels": {"service": s.name}}
                        for s in services
                    ],
                }
            ],
        }
        (tmp_path / "prometheus.yml").write_text(yaml.safe_dump(config))
        port = free_port()
        with (LOGS / f"prometheus-{port}.log").open("ab") as log:
            prometheus = subprocess.Popen(  # noqa: ASYNC220 - returns at once
                [
                    PROMETHEUS,
                    f"--config.file={tmp_path / 'prometheus.yml'}",
                    f"--storage.tsdb.path={tmp_path / 'data'}",
                    f"--web.listen-address=127.0.0.1:{port}",
                ],
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        try:
            async with httpx2.AsyncClient(base_url=f"http://127.0.0.1:{port}") as client:

                async def every_target_up() -> bool:
                    try:
                        response = await client.get("/api/v1/query", params={"query": "up"})
                    except httpx2.TransportError:
                        return False
                    if response.status_code != 200:  # still starting: "Service Unavailable"
                        return False
                    results = response.json()["data"]["result"]
                    up = {r["metric"]["service"] for r in results if r["value"][1] == "1"}
                    return up == set(SERVICES)

                async def lag_exported() -> bool:
                    query = {"query": "count by (service) (pressroom_consumer_lag)"}
                    results = (await client.get("/api/v1/query", params=query)).json()
                    exported = {r["metric"]["service"] for r in results["data"]["result"]}
                    return exported >= {"deduplicator", "summarizer", "publisher", "digest"}

                await eventually_async(every_target_up, within=60, what="every service up")
                # Every consumer exports its lag, so dashboards and alerts have it.
                await eventually_async(lag_exported, within=60, what="consumer lag exported")
        finally:
            prometheus.terminate()
            prometheus.wait(timeout=20)
