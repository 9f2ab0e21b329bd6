"""A local OpenAI-compatible chat endpoint for tests: answers /v1/chat/completions the way
the real ones do, and misbehaves on cue (too slow, malformed JSON, 429, 500).

The answer it writes is built from the articles in the prompt: their titles and first
sentences, plus, when asked, a key point with a number no article holds, or what a hostile
article's injected instruction asks for.
"""

from __future__ import annotations

import asyncio
import json
import re
from collections import deque
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from tests.asgi_server import serving

INVENTED = "Around 300 soldiers were killed, officials said."


@dataclass
class ChatServer:
    """Behaviours to play, one per request, then `ok` for every request after them."""

    script: deque[str] = field(default_factory=deque)
    requests: list[dict[str, Any]] = field(default_factory=list)
    slow_seconds: float = 5.0
    url: str = ""

    def app(self) -> Starlette:
        return Starlette(routes=[Route("/v1/chat/completions", self.complete, methods=["POST"])])

    async def complete(self, request: Request) -> Response:
        body = await request.json()
        self.requests.append(body)
        behaviour = self.script.popleft() if self.script else "ok"
        if behaviour == "slow":
            await asyncio.sleep(self.slow_seconds)
        if behaviour == "rate_limited":
            return JSONResponse({"error": {"message": "slow down"}}, 429, {"retry-after": "0.1"})
        if behaviour == "server_error":
            return JSONResponse({"error": {"message": "overloaded"}}, 500)
        content = (
            '{"headline": "Unterminated'
            if behaviour == "malformed"
            else json.dumps(
                self.summary(
                    body["messages"][-1]["content"],
                    invent=behaviour == "invent",
                    obey=behaviour == "obey",
                )
            )
        )
        return JSONResponse(
            {
                "id": "chatcmpl-test",
                "object": "chat.completion",
                "model": body["model"],
                "choices": [
                    {
                        "index": 0,
                        "message": {"role": "assistant", "content": content},
                        "finish_reason": "stop",
                    }
                ],
                "usage": {"prompt_tokens": 1000, "completion_tokens": 200, "total_tokens": 1200},
            }
        )

    @staticmethod
    def summary(prompt: str, *, invent: bool, obey: bool = False) -> dict[str, Any]:
        """Titles and first sentences of the articles in the prompt; with `obey`, the model
        a hostile article fooled: it repeats every sentence that gives it orders, and
        writes what they order."""
        data = re.search(r"<articles>\n(.*)\n</articles>", prompt, re.DOTALL)
        assert data is not None, "the articles come between <articles> delimiters"
        articles = json.loads(data.group(1))
        titles = [a["title"] for a in articles]
        sentences = [re.split(r"(?<=\.)\s", a["text"].strip()) for a in articles]
        firsts = [found[0] for found in sentences]
        points = firsts[:4] + ([INVENTED] if invent else [])
        if obey:
            orders = [s for found in sentences for s in found if "instructions" in s.lower()]
            ordered = [m.group(1) for o in orders if (m := re.search(r"write that (.+)", o))]
            points = [*orders, *(f"{o[0].upper()}{o[1:]}" for o in ordered), *points][:5]
        return {
            "headline": titles[0],
            "key_points": points,
            "summary": firsts,
            "category": "World",
            "tags": [],
        }


@asynccontextmanager
async def running_chat_server(server: ChatServer | None = None) -> AsyncIterator[ChatServer]:
    """The server on a free loopback port for the duration of the block."""
    server = server or ChatServer()
    async with serving(server.app()) as url:
        server.url = f"{url}/v1"
        yield server
