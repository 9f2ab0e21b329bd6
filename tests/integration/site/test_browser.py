"""The site in a real browser: headless Chromium (Debian's package) loads home, a story
page and search; screenshots land in var/screenshots/ (gitignored) for a person to look at."""

from __future__ import annotations

import asyncio
import shutil
import tempfile
from pathlib import Path

import pytest

from services.publisher.store import PostStore
from services.summarizer.composer import compose
from services.summarizer.draft import ExtractiveBackend
from services.summarizer.material import StoryMaterial
from shared.db import Database
from tests.factories import make_summary
from tests.infra import REPO
from tests.processes import running_service
from tests.unit.summarizer.stories import STORY

SCREENSHOTS = REPO / "var" / "screenshots"
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--hide-scrollbars",
]


async def chromium(*arguments: str) -> str:
    assert CHROMIUM, "chromium is not installed (apt-get install chromium; .ci/run does)"
    with tempfile.TemporaryDirectory() as profile:
        process = await asyncio.create_subprocess_exec(
            CHROMIUM,
            *FLAGS,
            f"--user-data-dir={profile}",
            *arguments,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.DEVNULL,
        )
        out, _ = await asyncio.wait_for(process.communicate(), timeout=90)
    assert process.returncode == 0, f"chromium exited with {process.returncode}"
    return out.decode("utf-8", "replace")


async def screenshot(url: str, name: str, size: str = "1280,1600") -> Path:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    path.unlink(missing_ok=True)
    await chromium(f"--screenshot={path}", f"--window-size={size}", url)
    assert path.stat().st_size > 10_000, f"{path} is blank"
    return path


@pytest.mark.timeout(240)
async def test_home_story_and_search_render_in_chromium(database: Database):
    store = PostStore(database)
    await store.create_indexes()
    material = StoryMaterial(STORY)
    oresund = (
        await store.publish(compose(material, ExtractiveBackend(200).write(material))[0])
    ).post
    await store.publish(
        make_summary(
            "1" * 32,
            headline="<script>alert(1)</script> Senate passes bill",
            category="Politics",
            key_points=('The Senate voted 69 to 30. <img src=x onerror="alert(2)">',),
        )
    )
    assert oresund is not None
    async with running_service("site", database.db.name) as site:
        story_url = f"{site.url}/story/{oresund.slug}"
        dom = await chromium("--dump-dom", story_url)
        assert "Storm closes Oresund bridge for 14 hours" in dom
        assert "Credited from: HARBOUR NEWS" in dom
        home_dom = await chromium("--dump-dom", site.url + "/")
        # The hostile headline is text in the DOM, not an element the browser made.
        assert "&lt;script&gt;alert(1)&lt;/script&gt; Senate passes bill" in home_dom
        assert '<img src="x"' not in home_dom
        search_dom = await chromium("--dump-dom", f"{site.url}/search?q=oresund")
        assert "Storm closes Oresund bridge" in search_dom

        await screenshot(site.url + "/", "home")
        await screenshot(story_url, "story")
        await screenshot(story_url, "story-mobile", size="390,1600")
        await screenshot(f"{site.url}/search?q=oresund", "search")
