"""Waiting for something another process or task does, with a bound."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable


async def eventually(condition: Callable[[], bool], within: float = 30.0, what: str = "") -> None:
    """Poll `condition` until it holds; fail after `within` seconds saying what was awaited."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + within
    while not condition():
        if loop.time() > deadline:
            raise AssertionError(f"not within {within}s: {what or condition}")
        await asyncio.sleep(0.05)


async def eventually_async(
    condition: Callable[[], Awaitable[bool]], within: float = 30.0, what: str = ""
) -> None:
    """`eventually` for a condition that must be awaited (an HTTP request, a query)."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + within
    while not await condition():
        if loop.time() > deadline:
            raise AssertionError(f"not within {within}s: {what or condition}")
        await asyncio.sleep(0.05)
