"""An ASGI app served on a free loopback port inside the test's event loop."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import uvicorn
from starlette.types import ASGIApp


@asynccontextmanager
async def serving(app: ASGIApp) -> AsyncIterator[str]:
    """The app's base URL (http://127.0.0.1:PORT) for the duration of the block."""
    # No line per request: a server standing in for the web should not load the machine
    # the pipeline is measured on. (A service app made in this process configures logging
    # and gives "uvicorn.access" the root's handler again, so the logger is disabled.)
    logging.getLogger("uvicorn.access").disabled = True
    config = uvicorn.Config(app, host="127.0.0.1", port=0, log_config=None, lifespan="off")
    server = uvicorn.Server(config)
    task = asyncio.create_task(server.serve())
    while not server.started:
        if task.done():
            task.result()
        await asyncio.sleep(0.01)
    port = server.servers[0].sockets[0].getsockname()[1]
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        await task
