"""``newsstream pages``: learn articles from news.normalized.v1, revisit their pages, send versions.

One process, one asyncio loop, three jobs interleaved:

1. **learn**: the consumer group on ``news.normalized.v1`` hands this instance some partitions; a
   feed-sourced article id seen for the first time gets a schedule entry, written to
   ``news.page-schedule.v1`` on the *same partition* (co-partitioned, like the detector's state);
2. **revisit**: due entries wait in per-host queues (:mod:`~producers.pages.polite`) and are fetched
   politely (:mod:`~producers.pages.worker`);
3. **commit**: every tick, the learned entries, the consumed offsets, each finished revisit's
   RawArticle (``news.raw.v1``) and its updated schedule record (or tombstone) go out in ONE Kafka
   transaction. A crash loses no revisit and duplicates none: a fetch whose result was not yet
   committed is simply done again by whichever instance owns the partition next.

On assignment the schedule partitions are restored from the compacted topic before any record of
them is processed (the listener runs inside ``poll``); on revocation their entries, queued revisits
and in-flight results are dropped. A failed commit ends the process (the supervisor restarts it and
the schedule is restored), as a broken broker should.

Scheduling needs a time source: ``clock`` (epoch seconds) is injected, so tests compress the ladder.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from kafka import ConsumerRebalanceListener, TopicPartition
from kafka.structs import OffsetAndMetadata
from prometheus_client import CollectorRegistry

import schemas
from newsstream import codec
from newsstream.changelog import restore
from newsstream.config import Config
from newsstream.deadline import Deadline
from newsstream.errors import MessageError
from newsstream.kafka_clients import make_consumer, make_producer
from newsstream.log import fields
from newsstream.messages import decode, epoch_seconds, headers_for
from newsstream.shutdown import Shutdown
from producers.fetch import Fetcher, FetchSettings
from producers.pages.extract import gone_article, page_article
from producers.pages.ladder import lateness_tolerance
from producers.pages.metrics import STAGE, PagesMetrics
from producers.pages.polite import HostQueues, host_key
from producers.pages.revisit import RevisitSettings, apply_outcome, schedule_new
from producers.pages.robots import RobotsCache
from producers.pages.schedule import PageEntry, ScheduleTable
from producers.pages.worker import RevisitRequest, RevisitResult, revisit

log = logging.getLogger("newsstream.pages")
#: As the shared runner's commit deadline (newsstream/deadline.py).
COMMIT_DEADLINE_S = 60.0

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
    poll_ms: int = 200
    fetch: FetchSettings | None = None


@dataclass
class _Pending:
    """Records to commit in the next transaction."""

    sends: list[tuple[str, bytes, bytes | None, list[tuple[str, bytes]], int | None]] = field(default_factory=list)
    offsets: dict[TopicPartition, OffsetAndMetadata] = field(default_factory=dict)

    def __bool__(self) -> bool:
        return bool(self.sends or self.offsets)


class _Listener(ConsumerRebalanceListener):
    def __init__(self, stage: PagesStage) -> None:
        self.stage = stage

    def on_partitions_revoked(self, revoked: Iterable[TopicPartition]) -> None:
        self.stage.revoke({tp.partition for tp in revoked})

    def on_partitions_assigned(self, assigned: Iterable[TopicPartition]) -> None:
        self.stage.assign({tp.partition for tp in assigned})


class PagesStage:
    """The pages producer: schedule table, host queues, fetcher, Kafka consumer + transactional producer."""

    name = STAGE

    def __init__(
        self,
        config: Config,
        settings: PagesSettings | None = None,
        *,
        registry: CollectorRegistry | None = None,
        shutdown: Shutdown | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.config = config
        self.settings = settings or PagesSettings()
        self.registry = registry or CollectorRegistry()
        self.metrics = PagesMetrics(self.registry)
        self.shutdown = shutdown or Shutdown()
        self.clock = clock
        self.table = ScheduleTable()
        s = self.settings
        self.queues = HostQueues(
            min_delay=s.min_host_delay_s, per_host=s.per_host, max_active=s.max_active, max_per_second=s.max_per_second
        )
        self.partitions: set[int] = set()
        self.ready = False
        self._inflight: dict[str, tuple[asyncio.Task[RevisitResult], PageEntry, str]] = {}
        self._results: list[tuple[RevisitResult, PageEntry, str]] = []
        self._pending = _Pending()
        self._consumer: Any = None
        self._robots: RobotsCache | None = None
        self._producer: Any = None
        self._raw_headers = headers_for("raw-article")
        self.metrics.scheduled.set_function(lambda: len(self.table))
        self.metrics.backlog.set_function(lambda: self.queues.queued)
        self.metrics.in_flight.set_function(lambda: len(self._inflight))

    # --- rebalance (called inside consumer.poll) ----------------------------------------------
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
        self.ready = bool(self.partitions)
        elapsed = time.monotonic() - started
        self.metrics.restore_seconds.set(elapsed)
        self.metrics.ready.labels(STAGE).set(1 if self.ready else 0)
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
        self.ready = bool(self.partitions)
        self.metrics.ready.labels(STAGE).set(1 if self.ready else 0)
        log.info("partitions revoked", extra=fields(partitions=sorted(partitions), entries_dropped=dropped))

    # --- learning --------------------------------------------------------------------------------
    def learn(self, record: Any, now: float) -> PageEntry | None:
        """Schedule the article of one normalized record if it is new; returns the new entry."""
        try:
            article = decode(record.value, "normalized-article")
        except MessageError as exc:
            log.warning("skipping an unreadable normalized record: %s", exc, extra=fields(offset=record.offset))
            return None
        if article.get("source") == "page" or article["id"] in self.table or article["id"] in self._inflight:
            return None
        url = article.get("url") or article.get("canonical_url")
        if not url or not url.lower().startswith(_HTTP):
            return None
        published = epoch_seconds(article.get("published_at"))
        if self.settings.max_age_s and published is not None and published < now - self.settings.max_age_s:
            return None
        first_seen = min(epoch_seconds(article.get("fetched_at")) or now, now)
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
        self._pending.sends.append(
            (self.config.topics.page_schedule, entry.article_id.encode(), value, [], entry.partition)
        )

    # --- revisits --------------------------------------------------------------------------------
    def dispatch(self, fetcher: Any, robots: RobotsCache | None, now: float) -> int:
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
            task = asyncio.create_task(revisit(request, fetcher, robots, clock=self.clock), name=article_id)
            self._inflight[article_id] = (task, current, host)
            task.add_done_callback(self._collect)
            started += 1
        return started

    def _collect(self, task: asyncio.Task[RevisitResult]) -> None:
        item = self._inflight.pop(task.get_name(), None)
        if item is None or task.cancelled():
            return
        _task, entry, host = item
        exc = task.exception()
        if exc is not None:  # a bug in one revisit must not stop the others
            log.error("revisit of %s raised", entry.url, exc_info=exc)
            result = RevisitResult(entry.article_id, "failed", self.clock(), reason=f"{type(exc).__name__}: {exc}")
        else:
            result = task.result()
        self._results.append((result, entry, host))

    def apply(self, result: RevisitResult, entry: PageEntry, host: str) -> None:
        """Record one finished revisit: metrics, output, next step (or tombstone)."""
        now = self.clock()
        self.queues.release(host, now, backoff=result.retry_after_s or 0.0, used=result.fetch_outcome is not None)
        if self._robots is not None:
            delay = self._robots.cached_crawl_delay(entry.url)
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
        fetched_at = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(result.fetched_at))
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
        self._pending.sends.append(
            (self.config.topics.raw, article["article_id"].encode(), codec.dumps(article), self._raw_headers, None)
        )
        self.metrics.emitted.labels(kind).inc()
        if kind == "gone":
            log.info("page gone: %s", article["entry"]["link"], extra=fields(article_id=article["article_id"]))

    # --- transactions ------------------------------------------------------------------------------
    def apply_results(self) -> int:
        """Apply every revisit finished since the last call; returns how many."""
        results, self._results = self._results, []
        for result, entry, host in results:
            self.apply(result, entry, host)
        return len(results)

    def take_pending(self) -> list[tuple[str, bytes, bytes | None, list[tuple[str, bytes]], int | None]]:
        """The records waiting for the next transaction, handed over (tests read them without Kafka)."""
        sends, self._pending.sends = self._pending.sends, []
        return sends

    def inflight(self) -> list[asyncio.Task[RevisitResult]]:
        return [task for task, _entry, _host in self._inflight.values()]

    def commit(self) -> None:
        """Send everything pending and the consumed offsets in one transaction (blocking)."""
        pending, self._pending = self._pending, _Pending()
        if not pending:
            return
        producer = self._producer
        producer.begin_transaction()
        produced: dict[str, int] = {}
        try:
            for topic, key, value, headers, partition in pending.sends:
                producer.send(topic, key=key, value=value, headers=headers, partition=partition)
                produced[topic] = produced.get(topic, 0) + 1
            # kafka-python can wait forever here (see newsstream/deadline.py): exit to be restarted.
            with Deadline(COMMIT_DEADLINE_S, "committing the pages transaction"):
                if pending.offsets:
                    producer.send_offsets_to_transaction(pending.offsets, self._consumer.group_metadata())
                producer.commit_transaction()
        except Exception:
            self.metrics.transactions.labels(STAGE, "abort").inc()
            raise  # the schedule in memory is ahead of the topic now: restart and restore
        self.metrics.transactions.labels(STAGE, "commit").inc()
        for topic, count in produced.items():
            self.metrics.produced.labels(STAGE, topic).inc(count)

    # --- the loop ------------------------------------------------------------------------------------
    def open(self) -> None:
        """Create the transactional producer and the consumer (subscribed; partitions come on poll)."""
        self._producer = make_producer(
            self.config.kafka,
            transactional_id=f"newsstream-pages-{self.settings.instance_id}",
            transaction_timeout_ms=60_000,
        )
        self._producer.init_transactions()
        self._consumer = make_consumer(
            self.config.kafka, self.settings.group_id, session_timeout_ms=10_000, heartbeat_interval_ms=3_000,
            max_poll_records=500,
        )  # fmt: skip
        self._consumer.subscribe([self.config.topics.normalized], listener=_Listener(self))

    def close(self) -> None:
        if self._consumer is not None:
            self._consumer.close(autocommit=False)
        if self._producer is not None:
            self._producer.close(timeout=5)
        self.metrics.ready.labels(STAGE).set(0)

    async def tick(self, fetcher: Any, robots: RobotsCache | None) -> None:
        """One round: poll (rebalances happen here), learn, apply finished revisits, commit, dispatch."""
        batch = await asyncio.to_thread(self._consumer.poll, timeout_ms=self.settings.poll_ms, max_records=500)
        now = self.clock()
        for tp, records in batch.items():
            if tp.partition not in self.partitions:
                continue
            for record in records:
                self.learn(record, now)
            self._pending.offsets[tp] = OffsetAndMetadata(records[-1].offset + 1, "", -1)
            self.metrics.consumed.labels(STAGE, tp.topic).inc(len(records))
        self.apply_results()
        if self._pending:
            await asyncio.to_thread(self.commit)
        if not self.shutdown.requested:
            self.dispatch(fetcher, robots, self.clock())
            self.queues.prune(self.clock())

    async def run(self) -> None:
        """Until shutdown: tick; then let in-flight revisits finish briefly and commit them."""
        s = self.settings
        fetch_settings = s.fetch or FetchSettings.from_config(self.config, per_host_limit=max(1, s.per_host))
        self.open()
        try:
            async with Fetcher(fetch_settings) as fetcher:
                robots = None
                if s.robots:
                    robots = RobotsCache(fetcher, s.robots_agent, ttl_s=s.robots_ttl_s, clock=self.clock)
                self._robots = robots
                robots_seen = 0
                while not self.shutdown.requested:
                    await self.tick(fetcher, robots)
                    if robots is not None and robots.fetches != robots_seen:
                        self.metrics.robots_fetches.inc(robots.fetches - robots_seen)
                        robots_seen = robots.fetches
                await self._drain()
        finally:
            self.close()

    async def _drain(self) -> None:
        tasks = self.inflight()
        if tasks:
            log.info("shutdown: waiting up to %.0f s for %d in-flight revisits", SHUTDOWN_GRACE_S, len(tasks))
            _done, late = await asyncio.wait(tasks, timeout=SHUTDOWN_GRACE_S)
            for task in late:
                task.cancel()
            await asyncio.gather(*late, return_exceptions=True)
        self.apply_results()
        await asyncio.to_thread(self.commit)
