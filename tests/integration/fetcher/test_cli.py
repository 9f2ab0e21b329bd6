"""`pressroom sources add|list|check|remove`, as an operator types them."""

from __future__ import annotations

import asyncio
import threading
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
import uvicorn
from typer.testing import CliRunner

from services.cli import app
from services.demo.feed_server import DemoArticle, NewsServer
from shared.db import Database
from tests.infra import MONGO
from tests.processes import free_port

ARTICLE = DemoArticle(
    id="bridge",
    outlet="Harbour News",
    title="Storm closes Oresund bridge for 14 hours",
    text="A storm closed the Oresund bridge between Denmark and Sweden for 14 hours.",
    published=datetime(2021, 8, 10, 9, tzinfo=UTC),
)


@pytest.fixture
def feed_url() -> Iterator[str]:
    """The local news server in a thread of its own (the command runs its own event loop)."""
    port = free_port()
    server = uvicorn.Server(
        uvicorn.Config(NewsServer([ARTICLE]).app(), host="127.0.0.1", port=port, log_config=None)
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    while not server.started:
        thread.join(0.02)
    yield f"http://127.0.0.1:{port}/feeds/harbour-news.xml"
    server.should_exit = True
    thread.join(10)


def test_an_operator_adds_lists_checks_and_removes_a_source(tmp_path: Path, feed_url: str):
    sources = tmp_path / "sources.yaml"
    sources.write_text("sources: []\n")
    name = f"pressroom_test_{uuid.uuid4().hex[:12]}"
    env = {"PRESSROOM_SOURCES_FILE": str(sources), "PRESSROOM_MONGO_DATABASE": name}
    runner = CliRunner()
    try:
        added = runner.invoke(
            app, ["sources", "add", "harbour", "Harbour News", feed_url, "--local"], env=env
        )
        assert added.exit_code == 0, added.output
        assert "harbour" in sources.read_text()
        listed = runner.invoke(app, ["sources", "list"], env=env)
        assert "harbour" in listed.output
        assert "never" in listed.output  # not polled yet
        checked = runner.invoke(app, ["sources", "check", "harbour"], env=env)
        assert checked.exit_code == 0, checked.output
        assert "1 entries, 1 new" in checked.output
        assert "Storm closes Oresund bridge for 14 hours" in checked.output
        again = runner.invoke(app, ["sources", "add", "harbour", "X", feed_url], env=env)
        assert again.exit_code != 0
        assert "exists already" in again.output
        removed = runner.invoke(app, ["sources", "remove", "harbour"], env=env)
        assert removed.exit_code == 0, removed.output
        assert "harbour" not in sources.read_text()
        assert "no sources" in runner.invoke(app, ["sources", "list"], env=env).output
    finally:
        asyncio.run(drop(name))


async def drop(name: str) -> None:
    database = Database(MONGO, name)
    await database.client.drop_database(name)
    await database.close()
