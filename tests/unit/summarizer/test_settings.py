"""How many stories a summarizer replica works on at once, by backend."""

from __future__ import annotations

from services.summarizer.settings import SummarizerSettings


def test_a_chat_backend_summarises_as_many_stories_at_once_as_it_may_send_requests():
    settings = SummarizerSettings(summarizer_backend="openai", openai_concurrency=6)
    assert settings.summary_workers() == 6


def test_the_extractive_backend_summarises_eight_stories_at_a_time():
    # Bound by CPU, but each story's database round trips take ten times its summary on a
    # busy machine: eight overlap them (with four, stories waited for a worker).
    settings = SummarizerSettings(summarizer_backend="extractive", openai_concurrency=6)
    assert settings.summary_workers() == 8
