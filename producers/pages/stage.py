"""``newsstream pages``: learn articles from news.normalized.v1, revisit their pages, send versions.

A stage on the shared runner (:mod:`newsstream.runner`), like the normalizer and the detector:

1. **learn** (``process``): a feed-sourced article id seen for the first time gets a schedule
   entry, written to ``news.page-schedule.v1`` on the *same partition* (co-partitioned, like the
   detector's state);
2. **revisit** (``tick``): due entries wait in per-host queues (:mod:`~producers.pages.polite`)
   and are fetched politely on a background event loop (:mod:`~producers.pages.fetch_loop`); each
   tick applies the revisits that finished since the last one: the page's RawArticle
   (``news.raw.v1``) and its updated schedule record (or tombstone);
3. **commit**: the runner commits the learned entries, the tick's records and the consumed offsets
   in ONE Kafka transaction. A crash loses no revisit and duplicates none: a fetch whose result was
   not committed is done again by whichever instance owns the partition next; an aborted
   transaction restores the schedule from the topic (``on_revoked`` + ``on_assigned``), as after a
   rebalance, and the revisits are done again.

Scheduling needs a time source: ``clock`` (epoch seconds) is injected, so tests compress the ladder.
"""

from __future__ import annotations

import concurrent.futures
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from kafka import TopicPartition
from kafka.consumer.fetcher import ConsumerRecord
from prometheus_client import CollectorRegistry

import schemas
from newsstream import codec
from newsstream.changelog import restore
from newsstream.config import Config
from newsstream.log import fields
from newsstream.messages import decode, epoch_seconds, headers_for
from newsstream.stage import Output, StageBase
from producers.fetch import FetchSettings
from producers.pages.extract import gone_article, page_article
from producers.pages.fetch_loop import FetchLoop
from producers.pages.ladder import lateness_tolerance
from producers.pages.metrics import PagesMetrics
from producers.pages.polite import HostQueues, host_key
from producers.pages.revisit import RevisitSettings, apply_outcome, schedule_new
from producers.pages.schedule import PageEntry, ScheduleTable
from producers.pages.worker import RevisitRequest, RevisitResult
from producers.specs import PAGES

log = logging.getLogger("newsstream.pages")

#: After SIGTERM, how long in-flight revisits may finish before they are abandoned (exit within 10 s).
SHUTDOWN_GRACE_S = 5.0
#: A robots.txt Crawl-delay is honoured up to this many seconds between two requests to one host.
MAX_CRAWL_DELAY_S = 120.0
_HTTP = ("http://", "https://")


@dataclass(frozen=True)
class PagesSettings:
    """Everything the pages stage is tuned by (the CLI builds it from flags)."""

    revisit: RevisitSettings = field(default_factory=RevisitSettings)
    group_id: str = "newsstream-pages"
    instance_id: str = "pages-1"
    min_host_delay_s: float = 5.0
    per_host: int = 1
    max_active: int = 16
    max_per_second: float = 10.0
    robots: bool = True
    robots_ttl_s: float = 86400.0
    robots_agent: str = "newsstream"
    #: Articles published longer ago than this are not scheduled (a backfill is not news); 0 = no limit.
    max_age_s: float = 30 * 86400.0
    #: Seconds between two ticks (apply finished revisits, start due ones).
    tick_s: float = 0.2
    fetch: FetchSettings | None = None


class PagesStage(StageBase):
    """The pages producer: schedule table, host queues and a fetch loop, on the shared runner."""

    name = PAGES.name
    stateless = False

    def __init__(
        self,
        config: Config,
        settings: PagesSettings | None = None,
        *,
        registry: CollectorRegistry | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.config = config
        self.settings = settings or PagesSettings()
        self.tick_interval_s = self.settings.tick_s
        self.clock = clock
        self.table = ScheduleTable()
        s = self.settings
        self.queues = HostQueues(
            min_delay=s.min_host_delay_s, per_host=s.per_host, max_active=s.max_active, max_per_second=s.max_per_second
        )
        self.partitions: set[int] = set()
        self._inflight: dict[str, tuple[concurrent.futures.Future[RevisitResult], PageEntry, str]] = {}
        self._results: list[tuple[RevisitResult, PageEntry, str]] = []
        self._pending: list[Output] = []
        self._fetch: FetchLoop | None = None
        self._robots_seen = 0
        self._raw_headers = headers_for("raw-article")
        self.bind_metrics(registry or CollectorRegistry())

    def bind_metrics(self, registry: CollectorRegistry) -> None:
        self.metrics = PagesMetrics(registry)
        self.metrics.scheduled.set_function(lambda: len(self.table))
        self.metrics.backlog.set_function(lambda: self.queues.queued)
        self.metrics.in_flight.set_function(lambda: len(self._inflight))

    def input_topics(self) -> list[str]:
        return PAGES.input_topics(self.config.topics)

    # --- rebalance (the runner calls these inside poll, and after an aborted transaction) -----
    def on_assigned(self, partitions: set[TopicPartition]) -> None:
        self.assign({tp.partition for tp in partitions})

    def on_revoked(self, partitions: set[TopicPartition]) -> None:
        self.revoke({tp.partition for tp in partitions})

    def assign(self, partitions: set[int]) -> None:
        started = time.monotonic()
        restored = 0
        for partition in sorted(partitions):
            for key, value in restore(self.config.kafka, self.config.topics.page_schedule, partition):
                article_id = key.decode()
                if value is None:
                    self.table.remove(article_id)
                    continue
                entry = PageEntry.from_record(codec.loads(value), partition)
                self.table.put(entry)
            restored = sum(1 for e in self.table if e.partition in partitions)
        self.table.compact_heap()
        self.partitions |= partitions
        elapsed = time.monotonic() - started
        self.metrics.restore_seconds.set(elapsed)
        log.info(
            "schedule restored",
            extra=fields(partitions=sorted(partitions), entries=restored, seconds=round(elapsed, 3)),
        )

    def revoke(self, partitions: set[int]) -> None:
        if not partitions:
            return
        dropped = self.table.drop_partitions(partitions)
        self.queues.drop(lambda article_id: article_id in self.table)
        self.partitions -= partitions
        log.info("partitions revoked", extra=fields(partitions=sorted(partitions), entries_dropped=dropped))

    # --- the runner's entry points ---------------------------------------------------------------
    def process(self, record: ConsumerRecord) -> list[Output]:
        """Learn one normalized record: a schedule record when its article is new."""
        self.learn(record, self.clock())
        return self.take_pending()

    def tick(self, now: float) -> list[Output]:
        """Apply the revisits finished since the last tick, then start what came due."""
        self.apply_results()
        self.dispatch(self.clock())
        self.queues.prune(self.clock())
        robots = self._fetch.robots if self._fetch is not None else None
        if robots is not None and robots.fetches != self._robots_seen:
            self.metrics.robots_fetches.inc(robots.fetches - self._robots_seen)
            self._robots_seen = robots.fetches
        return self.take_pending()

    def drain(self) -> list[Output]:
        """Shutdown: let in-flight revisits finish briefly; their records go in the last transaction."""
        futures = self.inflight()
        if futures:
            log.info("shutdown: waiting up to %.0f s for %d in-flight revisits", SHUTDOWN_GRACE_S, len(futures))
            _done, late = concurrent.futures.wait(futures, timeout=SHUTDOWN_GRACE_S)
            for future in late:
                future.cancel()
        self.apply_results()
        return self.take_pending()

    def is_alive(self) -> bool:
        return self._fetch is None or self._fetch.alive()

    def close(self) -> None:
        if self._fetch is not None:
            self._fetch.stop()

    # --- learning --------------------------------------------------------------------------------
    def learn(self, record: Any, now: float) -> PageEntry | None:
        """Schedule the article of one normalized record if it is new; returns the new entry
        (an unreadable record raises MessageError: the runner sends it to the DLQ)."""
        article = decode(record.value, "normalized-article")
        if article.get("source") == "page" or article["id"] in self.table or article["id"] in self._inflight:
            return None
        url = article.get("url") or article.get("canonical_url")
        if not url or not url.lower().startswith(_HTTP):
            return None
        published = epoch_seconds(article.get("published_at"))
        if self.settings.max_age_s and published is not None and published < now - self.settings.max_age_s:
            return None
        ms = article.get("fetched_at_ms")  # parsed once by the normalizer (older messages: parse here)
        first_seen = min((ms / 1000 if ms is not None else epoch_seconds(article.get("fetched_at"))) or now, now)
        entry = schedule_new(
            article["id"], url, publisher=article.get("publisher"), feed_url=article.get("feed_url"),
            partition=record.partition, first_seen=first_seen, now=now, settings=self.settings.revisit,
        )  # fmt: skip
        if entry is None:
            return None
        self.table.put(entry)
        self._write_entry(entry)
        self.metrics.learned.inc()
        return entry

    def _write_entry(self, entry: PageEntry, finished: bool = False) -> None:
        value = None if finished else codec.dumps(entry.to_record())
        topic = self.config.topics.page_schedule
        self._pending.append(Output(topic, entry.article_id.encode(), value, partition=entry.partition))

    # --- revisits --------------------------------------------------------------------------------
    def fetch_loop(self) -> FetchLoop:
        """The background fetch loop, started on first use."""
        if self._fetch is None:
            s = self.settings
            fetch_settings = s.fetch or FetchSettings.from_config(self.config, per_host_limit=max(1, s.per_host))
            self._fetch = FetchLoop(
                fetch_settings, robots=s.robots, robots_agent=s.robots_agent, robots_ttl_s=s.robots_ttl_s,
                clock=self.clock,
            ).start()  # fmt: skip
        return self._fetch

    def dispatch(self, now: float) -> int:
        """Queue what came due and start what the politeness limits allow; returns how many started."""
        due = self.table.pop_due(now)
        for entry in due:
            if entry.article_id in self._inflight:
                entry.next_due = now + 1.0  # a restored copy of an entry still being fetched: later
                self.table.put(entry)
                continue
            self.queues.push(host_key(entry.url), entry.article_id)
        self.metrics.due.inc(len(due))
        started = 0
        for host, article_id in self.queues.take(now):
            current = self.table.get(article_id)
            if current is None or article_id in self._inflight:
                self.queues.release(host, now, used=False)
                continue
            lateness = max(0.0, now - current.next_due)
            self.metrics.lateness.observe(lateness)
            if lateness > lateness_tolerance(max(1.0, current.next_due - current.first_seen)):
                self.metrics.overdue.inc()
            request = RevisitRequest(article_id, current.url, current.etag, current.last_modified, current.content_fp)
            self._inflight[article_id] = (self.fetch_loop().submit(request), current, host)
            started += 1
        return started

    def _collect(self) -> None:
        """Move finished revisits from in-flight to the results to apply."""
        for article_id, (future, entry, host) in list(self._inflight.items()):
            if not future.done():
                continue
            del self._inflight[article_id]
            if future.cancelled():
                continue
            exc = future.exception()
            if exc is not None:  # a bug in one revisit must not stop the others
                log.error("revisit of %s raised", entry.url, exc_info=exc)
                reason = f"{type(exc).__name__}: {exc}"
                result = RevisitResult(entry.article_id, "failed", self.clock(), reason=reason)
            else:
                result = future.result()
            self._results.append((result, entry, host))

    def apply(self, result: RevisitResult, entry: PageEntry, host: str) -> None:
        """Record one finished revisit: metrics, output, next step (or tombstone)."""
        now = self.clock()
        self.queues.release(host, now, backoff=result.retry_after_s or 0.0, used=result.fetch_outcome is not None)
        robots = self._fetch.robots if self._fetch is not None else None
        if robots is not None:
            delay = robots.cached_crawl_delay(entry.url)
            if delay:
                self.queues.set_host_delay(host, min(delay, MAX_CRAWL_DELAY_S))
        m = self.metrics
        if result.fetch_outcome is not None:
            m.fetches.labels(result.fetch_outcome).inc()
            m.fetch_seconds.observe(result.elapsed_s)
        if result.outcome == "refused":
            m.robots_refusals.inc()
        if result.extraction_failed:
            m.extraction_failures.inc()
        m.done.labels(result.outcome).inc()
        if self.table.get(entry.article_id) is not entry:
            return  # revoked (or restored anew) meanwhile: the partition's owner does it again
        article = None
        millis = int(result.fetched_at * 1000) % 1000  # millisecond resolution, as the feed producer's
        fetched_at = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(result.fetched_at)) + f".{millis:03d}Z"
        if result.outcome == "changed" and result.content is not None:
            article = page_article(
                entry, result.content, fetched_at=fetched_at, status=result.status, final_url=result.final_url,
                etag=result.etag, last_modified=result.last_modified,
            )  # fmt: skip
        decision = apply_outcome(
            entry, result.outcome, now, self.settings.revisit,
            content_fp=result.content.fingerprint() if result.content is not None else None,
            etag=result.etag, last_modified=result.last_modified,
        )  # fmt: skip
        if decision.emit == "gone":
            article = gone_article(
                entry, fetched_at=fetched_at, status=result.status, final_url=result.final_url,
                reason=result.reason or "gone",
            )  # fmt: skip
        if decision.emit is not None and article is not None:
            self._send_article(article, decision.emit)
        log.debug(
            "revisited %s: %s", entry.url, result.outcome,
            extra=fields(article_id=entry.article_id, outcome=result.outcome, status=result.status,
                         emit=decision.emit, finished=decision.finished, step=entry.step),
        )  # fmt: skip
        if decision.finished:
            self.table.remove(entry.article_id)
            m.finished.inc()
            self._write_entry(entry, finished=True)
        else:
            self.table.put(entry)
            self._write_entry(entry)

    def _send_article(self, article: dict[str, Any], kind: str) -> None:
        try:
            schemas.validate("raw-article", article)
        except schemas.InvalidMessage as exc:  # a bug here; the revisit counts as done, loudly
            log.error("page RawArticle is invalid: %s", exc, extra=fields(article_id=article["article_id"]))
            return
        key, value = article["article_id"].encode(), codec.dumps(article)
        self._pending.append(Output(self.config.topics.raw, key, value, self._raw_headers))
        self.metrics.emitted.labels(kind).inc()
        if kind == "gone":
            log.info("page gone: %s", article["entry"]["link"], extra=fields(article_id=article["article_id"]))

    # --- finished revisits -----------------------------------------------------------------------
    def apply_results(self) -> int:
        """Apply every revisit finished since the last call; returns how many."""
        self._collect()
        results, self._results = self._results, []
        for result, entry, host in results:
            self.apply(result, entry, host)
        return len(results)

    def take_pending(self) -> list[Output]:
        """The records for the current transaction, handed over (tests read them without Kafka)."""
        pending, self._pending = self._pending, []
        return pending

    def inflight(self) -> list[concurrent.futures.Future[RevisitResult]]:
        return [future for future, _entry, _host in self._inflight.values()]
