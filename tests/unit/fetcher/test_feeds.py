import json
from datetime import UTC, datetime

import pytest

from services.fetcher.feeds import (
    MalformedFeed,
    html_to_text,
    parse_feed,
    parse_json_feed,
    parse_jsonl_archive,
)

RSS2 = b"""<?xml version="1.0"?><rss version="2.0" xmlns:media="http://search.yahoo.com/mrss/">
<channel><title>T</title><language>en-gb</language>
<item><title>Storm &amp; bridge</title><link>https://a.example/1</link>
<description>&lt;p&gt;One.&lt;/p&gt;&lt;p&gt;Two.&lt;/p&gt;</description>
<pubDate>Tue, 10 Aug 2021 09:00:00 GMT</pubDate><media:content url="https://a.example/1.jpg"/></item>
<item><title>No link</title></item>
<item><title>Script</title><link>javascript:alert(1)</link></item>
</channel></rss>"""
RSS091 = b"""<?xml version="1.0"?><rss version="0.91"><channel><title>Old</title>
<item><title>Ninety-one</title><link>https://old.example/91</link></item></channel></rss>"""
RSS1 = b"""<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"
xmlns="http://purl.org/rss/1.0/" xmlns:dc="http://purl.org/dc/elements/1.1/">
<channel rdf:about="https://r.example/"><title>R</title></channel>
<item rdf:about="https://r.example/1"><title>RDF item</title><link>https://r.example/1</link>
<dc:date>2021-08-10T09:00:00Z</dc:date></item></rdf:RDF>"""
ATOM = b"""<feed xmlns="http://www.w3.org/2005/Atom"><title>A</title>
<entry><title>Atom entry</title><link href="https://b.example/2"/><id>urn:x</id>
<updated>2021-08-10T09:00:00Z</updated><author><name>Jo Writer</name></author>
<content type="html">&lt;b&gt;Bold&lt;/b&gt; text</content></entry></feed>"""
JSON_FEED = b"""{"version": "https://jsonfeed.org/version/1.1", "title": "J", "items": [
{"id": "1", "url": "https://j.example/1", "title": "JSON item", "content_html": "<p>Hi</p>",
 "date_published": "2021-08-10T09:00:00Z", "authors": [{"name": "Kim"}]}]}"""


def test_rss_2_entries_with_text_time_and_image_links_only_http():
    entries, skipped, *_ = parse_feed(RSS2)
    assert [e.url for e in entries] == ["https://a.example/1"]
    assert skipped == ["item 2: no http(s) link", "item 3: no http(s) link"]
    entry = entries[0]
    assert entry.title == "Storm & bridge"
    assert entry.text == "One.\n\nTwo."
    assert entry.published_at == datetime(2021, 8, 10, 9, tzinfo=UTC)
    assert entry.image_url == "https://a.example/1.jpg"
    assert entry.language == "en-gb"


@pytest.mark.parametrize(
    ("body", "title"),
    [(RSS091, "Ninety-one"), (RSS1, "RDF item"), (ATOM, "Atom entry"), (JSON_FEED, "JSON item")],
)
def test_every_kind_of_feed_gives_its_entries(body: bytes, title: str):
    [entry], skipped, *_ = parse_feed(body)
    assert entry.title == title
    assert skipped == []


def test_atom_and_json_feed_authors_and_content():
    atom, json_feed = parse_feed(ATOM).entries[0], parse_feed(JSON_FEED).entries[0]
    assert (atom.authors, atom.text) == (("Jo Writer",), "Bold text")
    assert (json_feed.authors, json_feed.text) == (("Kim",), "Hi")


@pytest.mark.parametrize(
    "body", [b"<html><body>Not a feed</body></html>", b"", b'{"not": "a feed"}', b"\x00\xff"]
)
def test_a_body_that_is_no_feed_is_malformed(body: bytes):
    with pytest.raises(MalformedFeed):
        parse_feed(body)


def test_a_jsonl_archive_reads_good_lines_and_names_bad_ones():
    lines = [
        '{"url": "https://x.example/1", "title": "One", "text": "Body", "source": "Reuters"}',
        "not json",
        '{"url": "ftp://x.example/2", "title": "Two"}',
    ]
    entries, problems, *_ = parse_jsonl_archive(lines)
    assert [e.title for e in entries] == ["One"]
    assert entries[0].extra["source"] == "Reuters"
    assert [p.split(":")[0] for p in problems] == ["line 2", "line 3"]


def test_broken_html_becomes_plain_paragraphs():
    assert html_to_text("<p>One <b>two</p><p>three<i> four") == "One two\n\nthree four"


def test_a_json_feed_item_with_a_number_for_a_date_keeps_its_entry_without_the_date():
    feed = {
        "version": "https://jsonfeed.org/version/1.1",
        "items": [
            {"url": "https://a.example/1", "title": "One", "date_published": 1764496800},
            {
                "url": "https://a.example/2",
                "title": "Two",
                "date_published": "2026-11-30T10:00:00Z",
            },
            {"url": "https://a.example/3", "title": "Three", "authors": "not a list"},
        ],
    }
    entries, skipped, *_ = parse_json_feed(json.dumps(feed).encode())
    assert [(e.title, e.published_at is not None) for e in entries] == [
        ("One", False),
        ("Two", True),
        ("Three", False),
    ]
    assert skipped == []


def test_every_item_that_is_no_entry_is_named_with_why():
    items = [
        {"url": "https://a.example/1", "title": "One"},
        {"url": "https://a.example/2"},
        "not an item",
        {"url": "https://a.example/4", "title": "Four", "date_published": "2026-13-45"},
        *({"url": f"https://a.example/n{n}", "title": f"N{n}"} for n in range(600)),
    ]
    feed = {"version": "https://jsonfeed.org/version/1.1", "items": items}
    entries, skipped, *_ = parse_json_feed(json.dumps(feed).encode())

    assert len(entries) + len(skipped) == len(items)
    assert skipped[:2] == ["item 2: no title", "item 3: an item is an object, not str"]
    assert skipped[-1] == f"item {len(items)}: past the first 500 of the feed"
    assert len([r for r in skipped if "past the first" in r]) == len(items) - 500
