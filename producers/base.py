"""The public producer API and the registry of producer kinds.

A *producer* turns one feed of ``feeds.toml`` into RawArticles. The produce loop
(:mod:`producers.stage`) owns everything around it (scheduling, concurrency, dedupe by fingerprint,
Kafka, state, metrics); a producer only answers one question per poll: *what does this feed say
now?* A new kind of producer is a class:

* subclass :class:`Producer` and implement ``poll(feed, fetcher, state)``, or, for anything fetched
  over HTTP, subclass :class:`HttpProducer` and implement only ``parse(body, ...)``;
* give it a ``name`` (the ``type`` that feeds.toml selects it with) and a ``version``;
* register it under the entry-point group ``newsstream.producers`` in your package's pyproject::

      [project.entry-points."newsstream.producers"]
      sitemap = "my_package.sitemap:SitemapProducer"

See ``docs/adding-a-producer.md`` and the example package in ``examples/``.
"""

from __future__ import annotations

import asyncio
import dataclasses
import functools
import importlib
import logging
from abc import ABC, abstractmethod
from collections.abc import Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime
from importlib.metadata import entry_points
from typing import Any, ClassVar, Protocol

from newsstream import __version__
from producers.feeds import FeedConfig
from producers.fetch import FetchResult, Validators
from producers.parse import ParseResult
from producers.state import FeedState

log = logging.getLogger(__name__)

ENTRY_POINT_GROUP = "newsstream.producers"
#: Producers shipped with newsstream, known even when the installed metadata is stale.
BUILTIN: dict[str, str] = {
    "rss": "producers.rss:RssProducer",
    "jsonfeed": "producers.jsonfeed:JsonFeedProducer",
}


class FetcherLike(Protocol):
    """What a producer may call to fetch (``producers.fetch.Fetcher`` is the real one)."""

    async def fetch(
        self, url: str, validators: Validators | None = None, headers: Mapping[str, str] | None = None
    ) -> FetchResult: ...


@dataclass
class PollResult:
    """What one poll of one feed produced.

    ``outcome`` is the metric label: the fetch outcome (``ok``, ``not_modified``, ``timeout``, ...)
    or ``parse_error`` when the body held nothing usable. ``articles`` are RawArticle dicts, every
    entry the document holds (the loop drops the ones already emitted unchanged).
    """

    outcome: str
    articles: list[dict[str, Any]] = field(default_factory=list)
    fetch: FetchResult | None = None
    bozo: str | None = None
    ttl_minutes: int | None = None
    error: str | None = None
    entries_skipped: int = 0
    #: Entries skipped because mapping them raised (counted; the rest of the feed is kept).
    entries_bad: int = 0
    notes: list[str] = field(default_factory=list)

    @property
    def succeeded(self) -> bool:
        return self.outcome in ("ok", "not_modified")


class Producer(ABC):
    """One kind of producer. Instances are shared by every feed of their type: keep them stateless
    (per-feed state lives in :class:`producers.state.FeedState`, which the loop persists)."""

    #: The feeds.toml ``type`` that selects this producer, and the RawArticle ``producer.name``.
    name: ClassVar[str]
    #: Written to RawArticle ``producer.version``.
    version: ClassVar[str] = __version__

    @abstractmethod
    async def poll(self, feed: FeedConfig, fetcher: FetcherLike, state: FeedState) -> PollResult:
        """Fetch and parse ``feed`` once. Never raise for a problem with this one feed: return a
        PollResult whose outcome names it (an exception is counted as ``error`` by the loop)."""

    @property
    def producer_info(self) -> dict[str, str]:
        return {"name": self.name, "version": self.version}


#: Documents parsed at once in a producer process (threads: the loop keeps its turns meanwhile).
PARSE_THREADS = 2
_PARSE_POOL: ThreadPoolExecutor | None = None


def _parse_pool() -> ThreadPoolExecutor:
    global _PARSE_POOL
    if _PARSE_POOL is None:
        _PARSE_POOL = ThreadPoolExecutor(PARSE_THREADS, thread_name_prefix="parse")
    return _PARSE_POOL


class HttpProducer(Producer):
    """A producer for documents fetched over HTTP: conditional GET with the stored validators,
    then :meth:`parse` on the body. Subclasses implement only ``parse``."""

    @abstractmethod
    def parse(
        self,
        body: bytes,
        *,
        url: str,
        headers: Mapping[str, str],
        feed: FeedConfig,
        fetched_at: datetime,
        http: Mapping[str, Any],
    ) -> ParseResult:
        """Map one document to RawArticles (pure; see :func:`producers.parse.parse_feed`)."""

    async def poll(self, feed: FeedConfig, fetcher: FetcherLike, state: FeedState) -> PollResult:
        validators = Validators(etag=state.etag, last_modified=state.last_modified)
        result = await fetcher.fetch(state.fetch_url, validators, dict(feed.headers))
        if result.outcome != "ok":
            return PollResult(outcome=result.outcome, fetch=result, error=result.error)
        http = {
            "status": result.status,
            "final_url": result.final_url,
            "etag": result.etag,
            "last_modified": result.last_modified,
        }
        parse = functools.partial(
            self.parse,
            result.body or b"",
            url=feed.url,
            headers=result.headers,
            feed=feed,
            fetched_at=datetime.now(UTC),
            http=http,
        )
        # Off the event loop (feedparser took 18-25 s for a 50,000-item feed, during which no other
        # fetch progressed) and at most PARSE_THREADS at once, so the memory a parse takes is paid a
        # bounded number of times, not once per feed of the round (issue 14).
        parsed = await asyncio.get_running_loop().run_in_executor(_parse_pool(), parse)
        result = dataclasses.replace(result, body=None)  # parsed: the body is not needed any more
        error = None
        if parsed.outcome != "ok":
            error = parsed.bozo or f"no entries in a {parsed.format or 'unrecognised'} document"
        return PollResult(
            outcome=parsed.outcome,
            articles=parsed.articles,
            fetch=result,
            bozo=parsed.bozo,
            ttl_minutes=parsed.ttl_minutes,
            error=error,
            entries_skipped=parsed.entries_skipped,
            entries_bad=parsed.entries_bad,
            notes=parsed.notes,
        )


# --- registry ------------------------------------------------------------------------------------


class UnknownProducer(LookupError):
    """No producer is registered under this ``type``."""


def _import(target: str) -> Any:
    module_name, _, attr = target.partition(":")
    value: Any = importlib.import_module(module_name)
    for part in attr.split("."):
        value = getattr(value, part)
    return value


def available() -> dict[str, str]:
    """``type`` -> ``module:Class`` of every installed producer (entry points win over built-ins)."""
    found = dict(BUILTIN)
    for ep in entry_points(group=ENTRY_POINT_GROUP):
        found[ep.name] = ep.value
    return found


class Registry:
    """Loads producer classes by ``type`` (once) and keeps one instance of each."""

    def __init__(self, extra: Mapping[str, type[Producer]] | None = None) -> None:
        self._targets = available()
        self._instances: dict[str, Producer] = {}
        for name, cls in (extra or {}).items():
            self._instances[name] = cls()

    def names(self) -> list[str]:
        return sorted(set(self._targets) | set(self._instances))

    def get(self, type_name: str) -> Producer:
        instance = self._instances.get(type_name)
        if instance is not None:
            return instance
        target = self._targets.get(type_name)
        if target is None:
            raise UnknownProducer(f"no producer of type {type_name!r}; installed: {', '.join(self.names())}")
        cls = _import(target)
        if not (isinstance(cls, type) and issubclass(cls, Producer)):
            raise UnknownProducer(f"{target} (type {type_name!r}) is not a producers.base.Producer subclass")
        instance = self._instances[type_name] = cls()
        return instance
