"""Integration tests run against the real Kafka broker and MongoDB-compatible server."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from shared.db import Database
from tests.infra import scratch_database, why_down


@pytest.fixture(autouse=True)
def infrastructure_is_up() -> None:
    """Checked before every test, so a broker killed mid-run fails fast and says so."""
    if problem := why_down():
        pytest.fail(problem, pytrace=False)


@pytest.fixture
async def database() -> AsyncIterator[Database]:
    """A database of its own for each test, dropped afterwards."""
    async with scratch_database() as db:
        yield db
