"""Views counted in memory: once per client and story within the window."""

from __future__ import annotations

import time

import pytest

from services.site.views import ViewCounter, client_of


def counter(window: float = 1800, remembered: int = 1000) -> ViewCounter:
    return ViewCounter(None, window_seconds=window, remembered=remembered)  # type: ignore[arg-type]


def test_a_client_counts_once_per_story_within_the_window():
    views = counter()
    reader, other = client_of("10.0.0.1", "Firefox", "da"), client_of("10.0.0.1", "Firefox", "sv")
    assert views.record("story-a", reader)
    assert not views.record("story-a", reader)
    assert views.record("story-b", reader)
    assert views.record("story-a", other)
    assert dict(views.pending) == {"story-a": 2, "story-b": 1}


def test_a_client_counts_again_once_the_window_has_passed(monkeypatch: pytest.MonkeyPatch):
    views = counter(window=60)
    reader = client_of("10.0.0.1", "Firefox", None)
    now = time.monotonic()
    monkeypatch.setattr(time, "monotonic", lambda: now)
    assert views.record("story-a", reader)
    monkeypatch.setattr(time, "monotonic", lambda: now + 59)
    assert not views.record("story-a", reader)
    monkeypatch.setattr(time, "monotonic", lambda: now + 61)
    assert views.record("story-a", reader)


def test_the_clients_remembered_are_bounded():
    views = counter(remembered=100)
    for n in range(1000):
        views.record("story-a", client_of(f"10.0.{n // 256}.{n % 256}", "Firefox", None))
    assert len(views._last_view) == 100
    assert views.pending["story-a"] == 1000


def test_a_client_is_kept_as_a_hash_not_as_its_address():
    assert "10.0.0.1" not in client_of("10.0.0.1", "Firefox", None)
