"""The fetcher's metrics, per source."""

from __future__ import annotations

from prometheus_client import Counter, Gauge

responses_total = Counter(
    "pressroom_fetch_responses_total",
    "HTTP responses to the fetcher by source, kind (feed or page) and status (304 included).",
    ["source", "kind", "status"],
)
bytes_total = Counter("pressroom_fetch_bytes_total", "Body bytes read, by source.", ["source"])
failures_total = Counter(
    "pressroom_fetch_failures_total",
    "Problems by source and kind: fetch, status, parse, extraction, refused, robots, "
    "too_large (a body over the cap, inflated or not), recovered (a feed read around broken "
    "XML or an entity expansion refused).",
    ["source", "kind"],
)
entries_total = Counter(
    "pressroom_fetch_entries_total",
    "New feed entries by source and outcome: emitted, refused (an address not allowed), "
    "same (another URL of an article already handled), invalid (could not become an event); "
    "and, at each poll that reads them, unusable items (no link or title, malformed, past "
    "the entries read of a feed) and repeated ones (an article twice in one feed).",
    ["source", "outcome"],
)
emitted_total = Counter(
    "pressroom_articles_emitted_total", "Articles sent to articles.raw, by source.", ["source"]
)
last_success = Gauge(
    "pressroom_source_last_success_timestamp_seconds",
    "When a source was last polled successfully (Unix time).",
    ["source"],
)
quarantined = Gauge(
    "pressroom_source_quarantined", "1 while a source is quarantined after failures.", ["source"]
)
