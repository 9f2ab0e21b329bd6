"""Text from the outside world is hostile: whatever bytes arrive, the code that reads them
answers with its own clear error or a result, never a crash."""

from __future__ import annotations

import contextlib

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from services.fetcher.canonical import canonical_url
from services.fetcher.decoding import decode_body
from services.fetcher.extraction import extract_article
from services.fetcher.feeds import MalformedFeed, html_to_text, parse_feed, parse_jsonl_archive
from services.summarizer.grounding import GroundingGate
from services.summarizer.sentences import split_sentences
from shared.events import EVENT_FOR_TOPIC

FEEDISH = st.one_of(
    st.binary(max_size=3000),
    st.builds(
        lambda inner, tag: (
            f"<{tag}><channel><item><title>{inner}</title><link>{inner}</link>"
            f"</item></channel></{tag}>".encode()
        ),
        st.text(max_size=300),
        st.sampled_from(["rss", "feed", "rdf:RDF", "html"]),
    ),
    st.builds(
        lambda t: ('{"version": "https://jsonfeed.org/version/1.1", "items": ' + t + "}").encode(),
        st.text(max_size=200),
    ),
)


@settings(max_examples=300, deadline=None)
@given(FEEDISH)
def test_any_feed_body_gives_entries_or_a_malformed_feed_error(body: bytes):
    try:
        entries, skipped, *_ = parse_feed(body)
    except MalformedFeed:
        return
    for entry in entries:
        assert entry.url.startswith(("http://", "https://"))
        assert entry.title
    assert all(reason.startswith("item ") for reason in skipped)


@settings(max_examples=200, deadline=None)
@given(st.lists(st.text(max_size=200), max_size=20))
def test_any_archive_lines_give_entries_and_reasons(lines: list[str]):
    entries, problems, *_ = parse_jsonl_archive(lines)
    assert len(entries) + len(problems) <= len(lines)


@settings(max_examples=150, deadline=None)
@given(st.text(max_size=2000), st.sampled_from(["https://x.example/a", "http://[::1]/b"]))
def test_any_page_gives_an_article_or_nothing(html: str, url: str):
    page = extract_article(html, url)
    assert page is None or page.text
    assert isinstance(html_to_text(html), str)


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=2000), st.text(max_size=60))
def test_any_bytes_decode_to_text(body: bytes, content_type: str):
    text, charset = decode_body(body, content_type)
    assert isinstance(text, str)
    assert charset


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=300))
def test_any_link_a_feed_gives_is_refused_or_canonicalised(url: str):
    body = f"<rss><channel><item><title>t</title><link>http://{url}</link></item></channel></rss>"
    try:
        entries, skipped, *_ = parse_feed(body.encode())
    except MalformedFeed:
        return
    assert len(entries) + len(skipped) == 1
    for entry in entries:  # what the fetcher goes on to do with each link
        assert canonical_url(entry.url).startswith("http://")


@pytest.mark.parametrize("topic", sorted(EVENT_FOR_TOPIC))
@settings(max_examples=100, deadline=None)
@given(body=st.one_of(st.binary(max_size=500), st.text(max_size=500).map(str.encode)))
def test_any_payload_is_an_event_or_a_validation_error(topic: str, body: bytes):
    with contextlib.suppress(ValidationError):  # a clear error is an answer too
        EVENT_FOR_TOPIC[topic].model_validate_json(body)


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=1000))
def test_any_text_splits_into_sentences_each_supported_by_the_text(text: str):
    sentences = split_sentences(text)
    assert all(s.strip() == s and s for s in sentences)
    gate = GroundingGate({"a" * 32: text})
    for sentence in sentences:
        verdict = gate.check(sentence)
        assert verdict.grounded, (sentence, verdict.reason)  # its own source says it
