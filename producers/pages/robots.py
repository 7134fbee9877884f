"""robots.txt, fetched with the producer's Fetcher (SSRF guard, caps), cached per origin, honoured.

Rules follow RFC 9309: a robots.txt that answers 4xx (or 410) means *no restrictions*; one that
cannot be reached (5xx, 429, timeout, network error) means *disallow everything* for a short while,
then it is fetched again. A readable file is parsed by the standard library's
``urllib.robotparser`` and kept for ``ttl_s`` (default a day); its ``Crawl-delay`` for our user
agent lengthens the per-host delay. One fetch per origin at a time: concurrent checks wait for it.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import urlsplit
from urllib.robotparser import RobotFileParser

from producers.base import FetcherLike

#: robots.txt bodies are read up to this many bytes (RFC 9309 asks for at least 500 KiB).
MAX_ROBOTS_BYTES = 512 * 1024


@dataclass
class _Rules:
    parser: RobotFileParser | None  # None: allow everything (no usable file)
    disallow_all: bool
    expires: float
    crawl_delay: float | None


def robots_url(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}/robots.txt"


def parse_rules(body: bytes) -> RobotFileParser:
    """A parser loaded with ``body`` (undecodable bytes replaced)."""
    parser = RobotFileParser()
    parser.parse(body[:MAX_ROBOTS_BYTES].decode("utf-8", "replace").splitlines())
    return parser


class RobotsCache:
    """``await cache.allowed(url)``: may ``agent`` fetch ``url``? Fetches robots.txt when needed."""

    def __init__(
        self,
        fetcher: FetcherLike,
        agent: str,
        *,
        ttl_s: float = 86400.0,
        unreachable_ttl_s: float = 600.0,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.fetcher = fetcher
        self.agent = agent
        self.ttl_s = ttl_s
        self.unreachable_ttl_s = unreachable_ttl_s
        self.clock = clock
        self._rules: dict[str, _Rules] = {}
        self._locks: dict[str, asyncio.Lock] = {}
        self.fetches = 0

    async def allowed(self, url: str) -> bool:
        rules = await self._rules_for(url)
        if rules.disallow_all:
            return False
        return rules.parser is None or rules.parser.can_fetch(self.agent, url)

    def cached_crawl_delay(self, url: str) -> float | None:
        """The Crawl-delay for ``url``'s origin if its robots.txt is cached (no fetch)."""
        rules = self._rules.get(robots_url(url))
        return rules.crawl_delay if rules is not None else None

    async def _rules_for(self, url: str) -> _Rules:
        key = robots_url(url)
        rules = self._rules.get(key)
        if rules is not None and rules.expires > self.clock():
            return rules
        lock = self._locks.setdefault(key, asyncio.Lock())
        async with lock:
            rules = self._rules.get(key)
            if rules is None or rules.expires <= self.clock():
                rules = self._rules[key] = await self._fetch(key)
        return rules

    async def _fetch(self, key: str) -> _Rules:
        self.fetches += 1
        result = await self.fetcher.fetch(key)
        now = self.clock()
        if result.outcome == "ok":
            parser = parse_rules(result.body or b"")
            delay = parser.crawl_delay(self.agent)
            return _Rules(parser, False, now + self.ttl_s, float(delay) if delay is not None else None)
        status = result.status or 0
        if 400 <= status < 500 and status != 429:
            return _Rules(None, False, now + self.ttl_s, None)  # no robots.txt: no restrictions
        if result.outcome == "too_large":
            return _Rules(None, False, now + self.ttl_s, None)
        # unreachable (5xx, 429, timeout, network, blocked): assume complete disallow for a while
        return _Rules(None, True, now + self.unreachable_ttl_s, None)

    def __len__(self) -> int:
        return len(self._rules)
