"""Polling one source: its feed (conditionally), its new entries' pages, one event each.

Every entry is handled once: its canonical URL is remembered in MongoDB after its event
is durably published (or after it was refused, with the reason). A failing source waits
longer after each failure and is quarantined after too many in a row.
"""

from __future__ import annotations

import asyncio
import logging
import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from urllib.parse import urlsplit

from pydantic import ValidationError

from services.fetcher import metrics
from services.fetcher.addresses import BlockedAddress, check_destination, host_of
from services.fetcher.canonical import canonical_url
from services.fetcher.decoding import decode_body
from services.fetcher.extraction import ExtractedPage, extract_article
from services.fetcher.feeds import (
    FeedEntry,
    MalformedFeed,
    ParsedFeed,
    parse_feed,
    parse_jsonl_archive,
)
from services.fetcher.http import (
    Disallowed,
    FetchError,
    FetchResult,
    PoliteClient,
    Refused,
    TooLarge,
)
from services.fetcher.language import detected_language
from services.fetcher.settings import FetcherSettings
from services.fetcher.sources import SourceConfig, source_id_for
from services.fetcher.store import Handled, SeenUrls, SourceState, SourceStore
from services.fetcher.websub import WebSub, header_links
from shared.events import ArticleFetched, article_id_for
from shared.retry import Backoff, Failure, classify

logger = logging.getLogger(__name__)

Emit = Callable[[ArticleFetched], Awaitable[None]]
FEED_ACCEPT = (
    "application/rss+xml, application/atom+xml, application/feed+json, application/json;q=0.9, "
    "application/xml;q=0.8, text/xml;q=0.8, */*;q=0.5"
)


def failure_kind(error: FetchError) -> str:
    """The `kind` a failed fetch is counted under."""
    if isinstance(error, Refused):
        return "refused"
    if isinstance(error, Disallowed):
        return "robots"
    if isinstance(error, TooLarge):
        return "too_large"
    return "fetch"


class SourceFailed(Exception):
    """A poll that produced nothing usable; the message says why."""

    def __init__(self, kind: str, reason: str, retry_after: float | None = None) -> None:
        super().__init__(reason)
        self.kind = kind
        self.retry_after = retry_after


@dataclass(frozen=True)
class PollReport:
    source_id: str
    status: str  # ok, not_modified, failed, quarantined, unknown
    entries: int = 0
    emitted: int = 0
    reason: str | None = None


class EntryOutcome:
    """What became of one new entry (emitted, invalid, refused, same), and what to remember
    of it: its canonical URL, and the address the feed listed when that differs."""

    def __init__(self, outcome: str, *handled: Handled) -> None:
        self.outcome = outcome
        self.handled = handled


MAX_AUTHORS = 20
# C0 control characters but tab, newline and carriage return: no text needs them, and they
# make the site's RSS and Atom invalid XML.
_CONTROLS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_LANGUAGE_TAG = re.compile(r"^[A-Za-z]{2,8}(?:[-_][A-Za-z0-9]{1,8})*$")


def without_controls(text: str) -> str:
    return _CONTROLS.sub("", text)


def language_tag(given: str | None) -> str | None:
    """`given` if it looks like a BCP 47 tag ("en", "pt-BR"), else None (unknown)."""
    tag = (given or "").strip()
    return tag.replace("_", "-") if len(tag) <= 16 and _LANGUAGE_TAG.match(tag) else None


def fitted(article: ArticleFetched, max_bytes: int) -> ArticleFetched:
    """`article` with its text cut (at a character, from the end) so that its event is at
    most `max_bytes`; the cut is logged."""
    size = len(article.model_dump_json().encode())
    if size <= max_bytes:
        return article
    text = article.text.encode()
    keep = max(0, len(text) - (size - max_bytes) - 1024)  # escapes may cost more than a byte
    cut = text[:keep].decode("utf-8", "ignore")
    logger.warning(
        "entry cut to fit an event",
        extra={"url": article.canonical_url, "event_bytes": size, "text_kept_bytes": keep},
    )
    return fitted(article.model_copy(update={"text": cut}), max_bytes) if cut else article


def entry_id(entry: FeedEntry) -> str:
    """The article id of the entry's canonical URL; of the URL as given when it has none
    (a link no URL parser accepts, which its handling then refuses)."""
    try:
        return article_id_for(canonical_url(entry.url))
    except ValueError:
        return article_id_for(entry.url)


class Fetcher:
    def __init__(
        self,
        sources: SourceStore,
        seen: SeenUrls,
        client: PoliteClient,
        emit: Emit,
        settings: FetcherSettings,
        websub: WebSub | None = None,
    ) -> None:
        self.sources = sources
        self.seen = seen
        self.client = client
        self.emit = emit
        self.settings = settings
        self.websub = websub  # none: no callback address configured, polling only
        # Sources that failed together (one host down) do not all come back together.
        self.backoff = Backoff(settings.failure_backoff_seconds, settings.max_backoff_seconds)

    async def poll(self, source_id: str, now: datetime | None = None) -> PollReport:
        now = now or datetime.now(UTC)
        state = await self.sources.get(source_id)
        if state is None:
            return PollReport(source_id, "unknown", reason="no such source (removed?)")
        if state.quarantined(now):
            return PollReport(source_id, "quarantined", reason=state.last_error)
        source = state.config
        try:
            response = await self._fetch_feed(state)
            if response.not_modified:
                await self._succeeded(state, response, emitted=0, now=now)
                return PollReport(source_id, "not_modified")
            feed = self._feed(source, response.body, response.content_type)
            entries = feed.entries
            emitted, left = await self._handle_entries(source, entries)
            if self.websub is not None:
                links = header_links(response.headers.get("link"))
                hub, topic = links.get("hub") or feed.hub, links.get("self") or feed.self_url
                await self.websub.offered(source, hub, topic, now)
        except SourceFailed as failure:
            await self._failed(state, failure, now)
            return PollReport(source_id, "failed", reason=str(failure))
        except Exception as error:  # a bug or a case not foreseen: the source waits, the rest go on
            if classify(error) is Failure.OUTAGE:
                raise  # the broker or the database is away: not the source's fault
            logger.exception("poll failed unexpectedly", extra={"source": source_id})
            unforeseen = SourceFailed("internal", f"{type(error).__name__}: {error}"[:500])
            await self._failed(state, unforeseen, now)
            return PollReport(source_id, "failed", reason=str(unforeseen))
        await self._succeeded(state, response, emitted=emitted, now=now, more=left > 0)
        return PollReport(source_id, "ok", entries=len(entries), emitted=emitted)

    async def check(self, source: SourceConfig) -> tuple[list[tuple[FeedEntry, bool]], str | None]:
        """Fetch `source` once, changing nothing: its entries, each with whether it is
        new, or why the poll failed."""
        try:
            response = await self._fetch_feed(SourceState(config=source))
            entries = self._feed(source, response.body, response.content_type).entries
        except SourceFailed as failure:
            return [], f"{failure.kind}: {failure}"
        ids = [entry_id(e) for e in entries]
        seen = await self.seen.seen_among(ids)
        return [(e, i not in seen) for e, i in zip(entries, ids, strict=True)], None

    # -- the feed -----------------------------------------------------------------------

    async def _fetch_feed(self, state: SourceState) -> FetchResult:
        source = state.config
        if source.local:
            self.client.allow_local(source.url)
        try:
            response = await self.client.get(
                source.url,
                etag=state.etag,
                last_modified=state.last_modified,
                accept=FEED_ACCEPT,
            )
        except FetchError as error:
            raise SourceFailed(failure_kind(error), str(error)) from None
        metrics.responses_total.labels(source.id, "feed", str(response.status)).inc()
        metrics.bytes_total.labels(source.id).inc(len(response.body))
        if response.status in (429, 503):
            raise SourceFailed(
                "status", f"HTTP {response.status} from {source.url}", response.retry_after
            )
        if response.status not in (200, 304):
            raise SourceFailed("status", f"HTTP {response.status} from {source.url}")
        return response

    async def take_pushed(
        self, source_id: str, body: bytes, content_type: str | None
    ) -> PollReport:
        """Content a WebSub hub pushed for `source_id` (its signature checked): its new
        entries, handled as a poll's. The poll's schedule and validators stay as they are."""
        state = await self.sources.get(source_id)
        if state is None:
            return PollReport(source_id, "unknown", reason="no such source (removed?)")
        source = state.config
        try:
            entries = self._feed(source, body, content_type).entries
            emitted, _ = await self._handle_entries(source, entries)
        except SourceFailed as failure:  # the next poll reads the feed itself
            metrics.failures_total.labels(source.id, failure.kind).inc()
            logger.warning(
                "pushed content unusable", extra={"source": source.id, "reason": str(failure)}
            )
            return PollReport(source_id, "failed", reason=str(failure))
        except Exception:
            logger.exception("pushed content not handled", extra={"source": source.id})
            return PollReport(source_id, "failed", reason="not handled; the next poll reads it")
        return PollReport(source_id, "ok", entries=len(entries), emitted=emitted)

    def _feed(self, source: SourceConfig, body: bytes, content_type: str | None) -> ParsedFeed:
        """The feed read from `body`; each item that is no entry is counted and logged with
        why."""
        if source.kind == "jsonl":
            text, _ = decode_body(body, content_type)
            parsed = parse_jsonl_archive(text.splitlines())
            if not parsed.entries and parsed.skipped:
                raise SourceFailed("parse", f"no valid line in the archive ({parsed.skipped[0]})")
        else:
            try:
                parsed = parse_feed(body, content_type)
            except MalformedFeed as error:
                raise SourceFailed("parse", f"malformed feed at {source.url}: {error}") from None
        if parsed.recovered:  # e.g. an entity expansion the XML parser refused
            metrics.failures_total.labels(source.id, "recovered").inc()
            logger.warning(
                "feed read around broken XML",
                extra={"source": source.id, "reason": parsed.recovered[:300]},
            )
        for reason in parsed.skipped[:20]:
            logger.warning("feed item skipped", extra={"source": source.id, "reason": reason})
        if parsed.skipped:
            metrics.entries_total.labels(source.id, "unusable").inc(len(parsed.skipped))
        return parsed

    # -- the entries --------------------------------------------------------------------

    async def _handle_entries(
        self, source: SourceConfig, entries: list[FeedEntry]
    ) -> tuple[int, int]:
        """How many new entries were emitted, and how many new ones the per-poll cap left
        for the next poll."""
        by_id = {entry_id(e): e for e in entries}
        if repeated := len(entries) - len(by_id):  # the same article twice in one feed
            metrics.entries_total.labels(source.id, "repeated").inc(repeated)
        seen = await self.seen.seen_among(by_id)
        new = [(i, e) for i, e in by_id.items() if i not in seen]
        cap = self.settings.max_new_entries_per_poll
        results = await asyncio.gather(
            *(self._entry_outcome(source, i, e) for i, e in new[:cap]), return_exceptions=True
        )
        # Remembered together, after their events are durably published; should one entry
        # fail (the broker away), those handled are remembered still, and the poll fails.
        handled = [h for r in results if isinstance(r, EntryOutcome) for h in r.handled]
        await self.seen.remember(handled)
        outcomes = []
        for result in results:
            if isinstance(result, BaseException):
                raise result
            outcomes.append(result.outcome)
            metrics.entries_total.labels(source.id, result.outcome).inc()
        return outcomes.count("emitted"), max(0, len(new) - cap)

    async def _entry_outcome(
        self, source: SourceConfig, article_id: str, entry: FeedEntry
    ) -> EntryOutcome:
        """What became of one new entry. One that cannot become an event is remembered as
        invalid with its reason, so the rest of the feed, and later polls, go on."""
        try:
            return await self._handle_entry(source, article_id, entry)
        except (ValidationError, ValueError) as error:
            reason = f"invalid: {error}".replace("\n", " ")[:500]
            logger.warning(
                "entry skipped", extra={"source": source.id, "url": entry.url, "reason": reason}
            )
            return EntryOutcome("invalid", Handled(article_id, entry.url[:2000], source.id, reason))

    async def _handle_entry(
        self, source: SourceConfig, article_id: str, entry: FeedEntry
    ) -> EntryOutcome:
        url = canonical_url(entry.url)
        try:
            own = (host_of(source.url),) if source.local else ()
            await check_destination(entry.url, local_hosts=own, resolver=self.client.resolver)
        except BlockedAddress as error:
            metrics.failures_total.labels(source.id, "refused").inc()
            logger.warning("entry refused", extra={"source": source.id, "reason": str(error)})
            return EntryOutcome("refused", Handled(article_id, url, source.id, f"refused: {error}"))
        page = await self._page(source, entry) if source.fetch_pages else None
        if page and page.canonical_url and _same_site(page.canonical_url, entry.url):
            final_url = canonical_url(page.canonical_url)
            if final_url != url:
                if await self.seen.seen_among([article_id_for(final_url)]):
                    same = Handled(article_id, url, source.id, "same as " + final_url)
                    return EntryOutcome("same", same)
                url = final_url
        article = fitted(self._article(source, entry, page, url), self.settings.max_event_bytes)
        await self.emit(article)
        metrics.emitted_total.labels(source.id).inc()
        emitted = Handled(article.article_id, url, source.id, "emitted")
        if article.article_id == article_id:
            return EntryOutcome("emitted", emitted)
        as_listed = Handled(article_id, canonical_url(entry.url), source.id, "emitted")
        return EntryOutcome("emitted", emitted, as_listed)

    async def _page(self, source: SourceConfig, entry: FeedEntry) -> ExtractedPage | None:
        """The entry's page, extracted; None (the feed's own content serves) when it fails."""
        try:
            response = await self.client.get(entry.url, accept="text/html")
        except FetchError as error:
            metrics.failures_total.labels(source.id, failure_kind(error)).inc()
            logger.warning(
                "page not fetched, using the feed's content",
                extra={"source": source.id, "url": entry.url, "reason": str(error)},
            )
            return None
        metrics.responses_total.labels(source.id, "page", str(response.status)).inc()
        metrics.bytes_total.labels(source.id).inc(len(response.body))
        if response.status != 200:
            metrics.failures_total.labels(source.id, "status").inc()
            logger.warning(
                "page answered with an error, using the feed's content",
                extra={"source": source.id, "url": entry.url, "reason": f"HTTP {response.status}"},
            )
            return None
        html, charset = decode_body(response.body, response.content_type)
        page = await asyncio.to_thread(extract_article, html, response.url)
        if page is None:
            metrics.failures_total.labels(source.id, "extraction").inc()
            logger.warning(
                "no main text on the page, using the feed's content",
                extra={"source": source.id, "url": entry.url, "charset": charset},
            )
        return page

    @staticmethod
    def _article(
        source: SourceConfig, entry: FeedEntry, page: ExtractedPage | None, url: str
    ) -> ArticleFetched:
        outlet = without_controls(str(entry.extra.get("source") or "")) or source.name
        text = page.text if page and len(page.text) > len(entry.text) else entry.text
        title = without_controls(entry.title)[:1000]
        return ArticleFetched(
            article_id=article_id_for(url),
            canonical_url=url,
            url=entry.url,
            source_id=source.id if outlet == source.name else source_id_for(outlet),
            source_name=outlet[:200],
            title=title or (without_controls(page.title) if page and page.title else url)[:1000],
            text=without_controls(text)[:200_000],
            authors=tuple(
                without_controls(a)[:200] for a in entry.authors or (page.authors if page else ())
            )[:MAX_AUTHORS],
            published_at=entry.published_at or (page.published_at if page else None),
            language=language_tag(
                entry.language or (page.language if page else None) or source.language
            )
            or detected_language(f"{title}. {text}"),
            image_url=entry.image_url or (page.image_url if page else None),
            category_hint=source.category,
        )

    # -- the source's state -------------------------------------------------------------

    async def _succeeded(
        self,
        state: SourceState,
        response: FetchResult,
        *,
        emitted: int,
        now: datetime,
        more: bool = False,
    ) -> None:
        """Record a poll that worked. With `more` new entries left over by the per-poll
        cap, the feed's validators are not kept (an unchanged feed would answer 304 and
        hide them for good) and the source is due again at once."""
        source = state.config
        etag = response.headers.get("etag") or state.etag
        last_modified = response.headers.get("last-modified") or state.last_modified
        await self.sources.record_success(
            source.id,
            next_poll_at=now if more else now + timedelta(seconds=source.poll_seconds),
            etag=None if more else etag,
            last_modified=None if more else last_modified,
            emitted=emitted,
            now=now,
        )
        metrics.last_success.labels(source.id).set(now.timestamp())
        metrics.quarantined.labels(source.id).set(0)

    async def _failed(self, state: SourceState, failure: SourceFailed, now: datetime) -> None:
        source, settings = state.config, self.settings
        failures = state.failures + 1
        wait = self.backoff.seconds(failures, at_least=failure.retry_after)
        quarantined_until = None
        if failures >= settings.quarantine_after_failures:
            quarantined_until = now + timedelta(seconds=settings.quarantine_seconds)
            wait = settings.quarantine_seconds
        metrics.failures_total.labels(source.id, failure.kind).inc()
        metrics.quarantined.labels(source.id).set(1 if quarantined_until else 0)
        logger.warning(
            "poll failed",
            extra={
                "source": source.id,
                "kind": failure.kind,
                "reason": str(failure),
                "failures": failures,
                "retry_in_seconds": round(wait, 1),
                "quarantined": quarantined_until is not None,
            },
        )
        await self.sources.record_failure(
            source.id,
            error=f"{failure.kind}: {failure}",
            failures=failures,
            next_poll_at=now + timedelta(seconds=wait),
            quarantined_until=quarantined_until,
        )


def _same_site(a: str, b: str) -> bool:
    def host(url: str) -> str:
        return (urlsplit(url).hostname or "").removeprefix("www.")

    return host(a) == host(b)
