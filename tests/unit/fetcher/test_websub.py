"""WebSub's pieces that need no network: signatures, links, when to subscribe again."""

from __future__ import annotations

import hashlib
import hmac
import json
from datetime import UTC, datetime, timedelta

from services.fetcher.feeds import parse_feed
from services.fetcher.websub import Subscription, header_links, signature_matches

SECRET = "s3cret"
BODY = b"<rss>...</rss>"
NOW = datetime(2026, 12, 1, 12, tzinfo=UTC)
LEASE = timedelta(days=1)


def signed(body: bytes, method: str = "sha256", secret: str = SECRET) -> str:
    return f"{method}={hmac.new(secret.encode(), body, method).hexdigest()}"


def test_a_signature_made_with_our_secret_over_the_body_matches():
    assert signature_matches(SECRET, BODY, signed(BODY))
    assert signature_matches(SECRET, BODY, signed(BODY, "sha1"))
    assert signature_matches(SECRET, BODY, signed(BODY, "sha512"))


def test_a_signature_of_other_bytes_another_secret_or_an_unknown_method_does_not():
    assert not signature_matches(SECRET, BODY, signed(b"<rss>forged</rss>"))
    assert not signature_matches(SECRET, BODY, signed(BODY, secret="guess"))
    assert not signature_matches(SECRET, BODY, "md5=" + hashlib.md5(BODY).hexdigest())
    assert not signature_matches(SECRET, BODY, None)
    assert not signature_matches(SECRET, BODY, "sha256=")


def test_the_link_header_names_the_hub_and_the_topic():
    header = '<https://hub.example/>; rel="hub", <https://news.example/feed.xml>; rel=self'
    assert header_links(header) == {
        "hub": "https://hub.example/",
        "self": "https://news.example/feed.xml",
    }
    assert header_links(None) == {}


def test_a_json_feed_names_its_websub_hub_and_its_own_address():
    feed = {
        "version": "https://jsonfeed.org/version/1.1",
        "feed_url": "https://news.example/feed.json",
        "hubs": [
            {"type": "rssCloud", "url": "https://cloud.example/"},
            {"type": "WebSub", "url": "https://hub.example/"},
        ],
        "items": [],
    }
    parsed = parse_feed(json.dumps(feed).encode(), "application/feed+json")
    assert (parsed.hub, parsed.self_url) == (
        "https://hub.example/",
        "https://news.example/feed.json",
    )


def test_an_atom_feed_names_its_hub():
    atom = (
        b'<?xml version="1.0"?><feed xmlns="http://www.w3.org/2005/Atom"><title>N</title>'
        b'<link rel="hub" href="https://hub.example/"/>'
        b'<link rel="self" href="https://news.example/atom.xml"/></feed>'
    )
    parsed = parse_feed(atom, "application/atom+xml")
    assert (parsed.hub, parsed.self_url) == (
        "https://hub.example/",
        "https://news.example/atom.xml",
    )


def subscription(state: str = "active", **fields: object) -> Subscription:
    values: dict[str, object] = {
        "source_id": "news",
        "hub": "https://hub.example/",
        "topic": "https://news.example/feed.xml",
        "secret": SECRET,
        "state": state,
        "requested_at": NOW - timedelta(hours=1),
        "lease_until": NOW + timedelta(hours=20),
        **fields,
    }
    return Subscription(**values)  # type: ignore[arg-type]


def test_a_subscription_is_renewed_when_a_quarter_of_its_lease_is_left():
    hub, topic = "https://hub.example/", "https://news.example/feed.xml"
    assert not subscription().renew_now(hub, topic, LEASE, NOW)
    late = subscription(lease_until=NOW + timedelta(hours=5))
    assert late.renew_now(hub, topic, LEASE, NOW)


def test_a_new_hub_or_topic_is_subscribed_to_at_once():
    assert subscription().renew_now(
        "https://other-hub.example/", "https://news.example/feed.xml", LEASE, NOW
    )
    assert subscription().renew_now(
        "https://hub.example/", "https://news.example/other.xml", LEASE, NOW
    )


def test_a_request_the_hub_never_verified_is_made_again_after_ten_minutes():
    hub, topic = "https://hub.example/", "https://news.example/feed.xml"
    waiting = subscription("requested", requested_at=NOW - timedelta(minutes=2), lease_until=None)
    assert not waiting.renew_now(hub, topic, LEASE, NOW)
    forgotten = subscription(
        "requested", requested_at=NOW - timedelta(minutes=11), lease_until=None
    )
    assert forgotten.renew_now(hub, topic, LEASE, NOW)
