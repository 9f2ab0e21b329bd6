"""robots.txt as RFC 9309 reads it, parsed by protego (wildcards, `$`, the longest match
deciding between Allow and Disallow).

- A 2xx answer (after up to five redirects) holds the rules; they are kept for a day.
- A 4xx answer (401 and 403 too) means there are no rules: everything may be fetched.
- A 5xx answer, or none at all, means everything is disallowed for a while (the site may be
  down), then robots.txt is asked again.
- Crawl-delay is honoured as the least time between two requests to the host.
"""

from __future__ import annotations

from dataclasses import dataclass

from protego import Protego

MAX_REDIRECTS = 5
KEPT_SECONDS = 24 * 3600.0
UNREACHABLE_SECONDS = 600.0  # disallowed, then asked again
MOST_CRAWL_DELAY_SECONDS = 60.0  # a longer one would stop the source; a minute is polite


@dataclass(frozen=True)
class RobotsRules:
    rules: Protego | None  # None: no rules
    disallow_all: bool = False
    kept_seconds: float = KEPT_SECONDS

    def allows(self, url: str, user_agent: str) -> bool:
        if self.disallow_all:
            return False
        return self.rules is None or bool(self.rules.can_fetch(url, user_agent))

    def crawl_delay(self, user_agent: str) -> float | None:
        delay = self.rules.crawl_delay(user_agent) if self.rules else None
        return min(float(delay), MOST_CRAWL_DELAY_SECONDS) if delay else None


def rules_for(status: int | None, text: str = "") -> RobotsRules:
    """The rules an answer to robots.txt gives: its status after redirects (None when
    the site could not be reached) and its body."""
    if status is None or status >= 500:
        return RobotsRules(None, disallow_all=True, kept_seconds=UNREACHABLE_SECONDS)
    if 200 <= status < 300:
        return RobotsRules(Protego.parse(text))
    return RobotsRules(None)  # 4xx, or a redirect loop past the limit: no rules
