"""Pressroom services run as real processes for tests, as `pressroom serve NAME` runs them."""

from __future__ import annotations

import asyncio
import contextlib
import functools
import os
import signal
import socket
import subprocess
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass

import httpx2
from aiokafka.admin import AIOKafkaAdminClient
from prometheus_client.parser import text_string_to_metric_families
from prometheus_client.samples import Sample

from services.ops.group_offsets import GroupExists, start_group_at
from services.registry import SERVICES
from shared.broker import subscriptions
from shared.kafka_connection import KafkaConnection
from tests.infra import KAFKA, MONGO, REPO

LOGS = REPO / "var" / "log" / "tests"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@dataclass
class ServiceProcess:
    name: str
    process: subprocess.Popen[bytes]
    port: int
    log: str

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def kill(self) -> None:
        """kill -9: no graceful anything."""
        self.process.kill()
        self.process.wait(timeout=10)

    def terminate(self, within: float = 40.0) -> bool:
        """SIGTERM; whether the service then stopped gracefully (uvicorn re-raises the
        signal after its shutdown, so the exit status alone cannot tell)."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
        status = self.process.wait(timeout=within)
        return status in (0, -signal.SIGTERM) and "shut down gracefully" in self.read_log()

    def read_log(self) -> str:
        with open(self.log, encoding="utf-8", errors="replace") as log:
            return log.read()


async def metric_samples(url: str, name: str) -> list[Sample]:
    """The samples named `name` that the service at `url` shows on its /metrics."""
    async with httpx2.AsyncClient() as client:
        metrics = (await client.get(f"{url}/metrics")).text
    families = text_string_to_metric_families(metrics)
    return [sample for family in families for sample in family.samples if sample.name == name]


@functools.cache
def default_subscriptions(name: str) -> list[tuple[str, str]]:
    return subscriptions(SERVICES[name].create_app().brokers[0])


def consumed_topics(name: str, group: str) -> list[tuple[str, str]]:
    """The (consumer group, topic) pairs `name` reads when its consumer group is `group`.
    A service's groups are its own (its name, by default) and that with a suffix (the
    publisher's `-withdrawals`)."""
    return [(group + g.removeprefix(name), topic) for g, topic in default_subscriptions(name)]


async def group_at_end(group: str, topic: str) -> str:
    """`group`, starting at the end of `topic` (unless it has offsets already)."""
    with contextlib.suppress(GroupExists):
        await start_group_at(KafkaConnection(KAFKA), topic, group, offset=2**62)
    return group


def consumer_group_in_test(name: str, database: str) -> str:
    """The consumer group `name` reads with in the test that owns `database`."""
    return f"{name}-{database}"


async def own_consumer_group(name: str, database: str) -> str:
    """A consumer group for `name` in this test only (one per test database), starting at
    the end of its topics: what earlier tests left there is not this test's to read."""
    group = consumer_group_in_test(name, database)
    for each_group, topic in consumed_topics(name, group):
        await group_at_end(each_group, topic)  # a restart in the same test carries on
    return group


async def start_service(name: str, database: str, **env: str) -> ServiceProcess:
    """Start `name` against the test infrastructure, reading with a consumer group of its
    own; return once its /ready says so."""
    LOGS.mkdir(parents=True, exist_ok=True)
    env.setdefault("consumer_group", await own_consumer_group(name, database))
    port = int(env.pop("http_port", 0)) or free_port()
    log_path = LOGS / f"{name}-{port}.log"
    environment = {
        **os.environ,
        "PRESSROOM_KAFKA_BOOTSTRAP_SERVERS": KAFKA,
        "PRESSROOM_MONGO_URL": MONGO,
        "PRESSROOM_MONGO_DATABASE": database,
        "PRESSROOM_HTTP_PORT": str(port),
        **{f"PRESSROOM_{key.upper()}": value for key, value in env.items()},
    }
    with log_path.open("ab") as log:
        process = subprocess.Popen(  # noqa: ASYNC220 - returns at once; its pipes are files
            [sys.executable, "-m", "services.cli", "serve", name],
            env=environment,
            cwd=REPO,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    service = ServiceProcess(name, process, port, str(log_path))
    ready = f"http://127.0.0.1:{env.get('ops_port', port)}/ready"
    async with httpx2.AsyncClient(timeout=2.0) as client:
        for _ in range(300):
            if process.poll() is not None:
                raise AssertionError(f"{name} exited with {process.returncode}; see {log_path}")
            try:
                if (await client.get(ready)).status_code == 200:
                    return service
            except httpx2.TransportError:
                pass
            await asyncio.sleep(0.1)
    service.kill()
    raise AssertionError(f"{name} was not ready within 30 s; see {log_path}")


@asynccontextmanager
async def running_service(name: str, database: str, **env: str) -> AsyncIterator[ServiceProcess]:
    service = await start_service(name, database, **env)
    try:
        yield service
    finally:
        if service.process.poll() is None:
            service.terminate()


async def group_is_stable_with(group: str, members: int) -> bool:
    """Whether `group` has `members` consumers and has finished assigning them partitions."""
    admin = AIOKafkaAdminClient(bootstrap_servers=KAFKA)
    await admin.start()
    try:
        [response] = await admin.describe_consumer_groups([group])
    finally:
        await admin.close()
    [described] = response.groups
    state, found = described[2], described[5]
    return bool(state == "Stable" and len(found) == members)
