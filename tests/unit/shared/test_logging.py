"""Log lines: one JSON object each, with the trace they belong to."""

from __future__ import annotations

import json
import logging

from opentelemetry import trace

from shared.logging import JsonFormatter, configure_logging
from shared.tracing import configure_tracing


def line_of(message: str, **extra: object) -> dict[str, object]:
    record = logging.LogRecord("pressroom.test", logging.INFO, __file__, 1, message, None, None)
    record.__dict__.update(extra)
    return dict(json.loads(JsonFormatter("fetcher").format(record)))


def test_a_line_carries_its_fields_and_no_trace_outside_a_span():
    line = line_of("poll failed", source="harbour")
    assert line["message"] == "poll failed"
    assert line["service"] == "fetcher"
    assert line["source"] == "harbour"
    assert "trace_id" not in line


def test_a_line_written_inside_a_span_names_its_trace_and_span():
    configure_tracing("test")
    with trace.get_tracer("test").start_as_current_span("poll") as span:
        line = line_of("polled")
    context = span.get_span_context()
    assert line["trace_id"] == format(context.trace_id, "032x")
    assert line["span_id"] == format(context.span_id, "016x")


def test_the_http_clients_line_per_request_shows_only_when_debugging():
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    try:
        configure_logging("fetcher", "INFO")
        assert not logging.getLogger("httpx2").isEnabledFor(logging.INFO)
        configure_logging("fetcher", "DEBUG")
        assert logging.getLogger("httpx2").isEnabledFor(logging.DEBUG)
    finally:
        root.handlers[:], root.level = handlers, level
        for chatty in ("aiokafka", "httpx2"):
            logging.getLogger(chatty).setLevel(logging.NOTSET)
