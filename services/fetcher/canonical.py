"""Canonical URLs: one address per article, whatever tracking or AMP variant a feed gives."""

from __future__ import annotations

import functools
import re
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

# Query parameters that say who linked, never what is linked to.
_TRACKING = re.compile(
    r"^(utm_\w+|fbclid|gclid|dclid|gbraid|wbraid|msclkid|mc_cid|mc_eid|igshid|yclid|"
    r"_ga|_gl|ref|ref_src|referrer|cmpid|cmp|ito|ns_mchannel|ns_source|ns_campaign|"
    r"ns_linkname|ns_fee|smid|sr_share|at_medium|at_campaign|ocid|taid|outputtype|amp)$",
    re.IGNORECASE,
)
_DEFAULT_PORTS = {"http": "80", "https": "443"}


@functools.lru_cache(maxsize=16384)
def canonical_url(url: str) -> str:
    """`HTTPS://WWW.Example.com:443/a/amp/?utm_source=x&b=2&a=1#top` ->
    `https://www.example.com/a?a=1&b=2`: scheme and host lower-cased, default port, tracking
    parameters, fragment and AMP variants dropped, the remaining parameters sorted.
    Remembered for the last 16,384 addresses: every poll reads each entry of its feed again,
    and an archive feed holds thousands."""
    parts = urlsplit(url.strip())
    scheme = parts.scheme.lower()
    host = (parts.hostname or "").lower().rstrip(".")
    if host.startswith("amp."):
        host = host[4:]
    port = f":{parts.port}" if parts.port and str(parts.port) != _DEFAULT_PORTS.get(scheme) else ""
    path = re.sub(r"/{2,}", "/", parts.path or "/")
    path = re.sub(r"(/amp|\.amp)(?=/?$)", "", path)
    if len(path) > 1:
        path = path.rstrip("/")
    query = sorted(
        (k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if not _TRACKING.match(k)
    )
    return urlunsplit((scheme, host + port, path or "/", urlencode(query), ""))
