"""``newsstream archive``: news.normalized.v1 + news.corrections.v1 (read_committed) → the archive database.

Why its own loop and not the shared transactional runner: the runner's guarantee is a Kafka
transaction over outputs and offsets, and the archive has no Kafka output. Its output is a
database, so the offsets go into the database instead, in the same transaction as the rows of the
batch (:meth:`ArchiveStore.write_batch`), and the consumer seeks to them whenever partitions are
assigned. That is exactly-once into the archive without Kafka transactions; Kafka's own group
offsets are never committed and never read. The loop uses the runtime's consumer factory, health
server and shutdown, like every stage.

A batch is polled and written between two polls, so a rebalance never finds a write in progress;
memory is bounded by ``max_batch`` records. A record that does not decode or match its schema is
counted and copied to the DLQ (at least once: the copy is sent before the batch commits, so a crash
in between can send it twice) and the offset moves past it.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from kafka import ConsumerRebalanceListener, TopicPartition
from kafka.consumer.fetcher import ConsumerRecord
from prometheus_client import CollectorRegistry, Counter, Histogram

from consumers.archive.rows import Source
from consumers.archive.store import ArchiveStore, Record, open_store
from newsstream.config import Config
from newsstream.errors import MessageError
from newsstream.health import HealthServer
from newsstream.kafka_clients import make_consumer, make_producer
from newsstream.log import fields
from newsstream.messages import decode
from newsstream.shutdown import Shutdown
from newsstream.stage_metrics import StageMetrics

log = logging.getLogger(__name__)
STAGE = "archive"
BATCH_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5)


@dataclass
class ArchiveOptions:
    """Tuning of the archive loop."""

    group_id: str = "newsstream-archive"
    max_batch: int = 500
    poll_timeout_ms: int = 500
    session_timeout_ms: int = 10_000
    heartbeat_interval_ms: int = 3_000
    #: The /metrics port (0 = any free one); the CLI sets it from the stage's spec and the environment.
    metrics_port: int = 9106


class ArchiveMetrics:
    """The shared stage metrics plus rows written and batch latency."""

    def __init__(self, registry: CollectorRegistry) -> None:
        self.stage = StageMetrics(STAGE, registry)
        self.rows = Counter(
            "newsstream_archive_rows_written", "Rows written to the archive", ["table"], registry=registry
        )
        self.skipped = Counter(
            "newsstream_archive_skipped",
            "Inputs written nothing for: repeat (same content as the current version), replayed (below the "
            "stored offset)",
            ["reason"],
            registry=registry,
        )
        self.batch = Histogram(
            "newsstream_archive_batch_seconds",
            "Time to write one batch (rows and offsets, one database transaction)",
            buckets=BATCH_BUCKETS,
            registry=registry,
        )
        for table in ("articles", "versions", "events"):
            self.rows.labels(table)
        for reason in ("repeat", "replayed"):
            self.skipped.labels(reason)


class _SeekToStored(ConsumerRebalanceListener):
    """On assignment, seek every partition to the offset stored with the rows (else its beginning)."""

    def __init__(self, archive: Archive) -> None:
        self.archive = archive

    def on_partitions_revoked(self, revoked: Iterable[TopicPartition]) -> None:
        # Nothing to flush: each batch is written before the next poll (the only place a rebalance runs).
        self.archive.metrics.stage.ready.labels(STAGE).set(0)

    def on_partitions_assigned(self, assigned: Iterable[TopicPartition]) -> None:
        assigned = set(assigned)
        stored = self.archive.store.load_offsets(self.archive.options.group_id)
        consumer = self.archive.consumer
        fresh = []
        for tp in assigned:
            if (tp.topic, tp.partition) in stored:
                consumer.seek(tp, stored[(tp.topic, tp.partition)])
            else:
                fresh.append(tp)
        if fresh:
            consumer.seek_to_beginning(*fresh)
        self.archive.assigned = assigned
        self.archive.metrics.stage.ready.labels(STAGE).set(1 if assigned else 0)
        log.info(
            "partitions assigned; positions from the archive",
            extra=fields(stage=STAGE, partitions=len(assigned), from_stored=len(assigned) - len(fresh)),
        )


class Archive:
    """The consume loop around one store."""

    def __init__(
        self,
        config: Config,
        store: ArchiveStore,
        options: ArchiveOptions | None = None,
        registry: CollectorRegistry | None = None,
        shutdown: Shutdown | None = None,
    ) -> None:
        self.config = config
        self.store = store
        self.options = options or ArchiveOptions()
        self.registry = registry or CollectorRegistry()
        self.metrics = ArchiveMetrics(self.registry)
        self.shutdown = shutdown or Shutdown()
        self.assigned: set[TopicPartition] = set()
        self.consumer: Any = None
        self._dlq: Any = None
        self._kinds = {config.topics.normalized: "article", config.topics.corrections: "event"}

    def run(self, serve_health: bool = True) -> int:
        """Migrate, consume until shutdown, return the exit code."""
        version = self.store.migrate()
        log.info("archive schema ready", extra=fields(backend=self.store.backend, schema_version=version))
        health = None
        if serve_health:
            health = HealthServer(
                self.registry,
                self.config.metrics_host,
                self.options.metrics_port,
                ready=lambda: bool(self.assigned),
            ).start()
            log.info("serving /metrics /healthz /readyz", extra=fields(port=health.port))
        self.consumer = make_consumer(
            self.config.kafka,
            self.options.group_id,
            session_timeout_ms=self.options.session_timeout_ms,
            heartbeat_interval_ms=self.options.heartbeat_interval_ms,
            max_poll_records=self.options.max_batch,
        )
        self.consumer.subscribe(list(self._kinds), listener=_SeekToStored(self))
        log.info(
            "archive started", extra=fields(stage=STAGE, group=self.options.group_id, topics=",".join(self._kinds))
        )
        try:
            while not self.shutdown.requested:
                self.run_once()
        finally:
            self.consumer.close()
            if self._dlq is not None:
                self._dlq.close(timeout=5)
            self.store.close()
            if health is not None:
                health.stop()
        return 0

    def run_once(self) -> int:
        """Poll one batch and write it (rows and offsets in one transaction); return its size."""
        polled = self.consumer.poll(timeout_ms=self.options.poll_timeout_ms, max_records=self.options.max_batch)
        batch = [record for records in polled.values() for record in records]
        if batch:
            started = time.perf_counter()
            records = [r for r in (self._decode(rec) for rec in batch) if r is not None]
            # Undecodable records still move their partition's offset on: carry them as no-op markers.
            result = self.store.write_batch(records + self._markers(batch, records), self.options.group_id)
            self.metrics.batch.observe(time.perf_counter() - started)
            self.metrics.rows.labels("versions").inc(result.versions)
            self.metrics.rows.labels("events").inc(result.events)
            self.metrics.rows.labels("articles").inc(result.articles)
            self.metrics.skipped.labels("repeat").inc(result.repeats)
            self.metrics.skipped.labels("replayed").inc(result.replayed)
            for record in batch:
                self.metrics.stage.consumed.labels(STAGE, record.topic).inc()
        self._update_lag()
        return len(batch)

    def _decode(self, record: ConsumerRecord) -> Record | None:
        kind = self._kinds[record.topic]
        try:
            message = decode(record.value, "normalized-article" if kind == "article" else "correction-event")
        except MessageError as exc:
            self._dead_letter(record, exc)
            return None
        return Record(kind, message, Source(record.topic, record.partition, record.offset))

    @staticmethod
    def _markers(batch: list[ConsumerRecord], records: list[Record]) -> list[Record]:
        kept = {(r.source.topic, r.source.partition, r.source.offset) for r in records}
        return [
            Record("skip", {}, Source(rec.topic, rec.partition, rec.offset))
            for rec in batch
            if (rec.topic, rec.partition, rec.offset) not in kept
        ]

    def _dead_letter(self, record: ConsumerRecord, exc: MessageError) -> None:
        self.metrics.stage.dlq.labels(STAGE, exc.reason).inc()
        log.warning(
            "message sent to the dead-letter topic",
            extra=fields(stage=STAGE, reason=exc.reason, topic=record.topic, partition=record.partition,
                         offset=record.offset, error=str(exc)[:200]),
        )  # fmt: skip
        if self._dlq is None:
            self._dlq = make_producer(self.config.kafka)
        headers = [
            ("stage", STAGE.encode()),
            ("error.reason", exc.reason.encode()),
            ("error.class", type(exc).__name__.encode()),
            ("error.message", str(exc)[:1000].encode("utf-8", "replace")),
            ("source.topic", record.topic.encode()),
            ("source.partition", str(record.partition).encode()),
            ("source.offset", str(record.offset).encode()),
        ]
        self._dlq.send(self.config.topics.dlq, key=record.key, value=record.value, headers=headers)
        self._dlq.flush(timeout=30)  # before the batch (and its offset) commits: at least once

    def _update_lag(self) -> None:
        for tp in self.assigned:
            high = self.consumer.highwater(tp)
            if high is None:
                continue
            try:
                position = self.consumer.position(tp)
            except Exception as exc:  # noqa: BLE001 - lag is best effort; a rebalance may have taken tp
                log.debug("no position for lag", extra=fields(partition=str(tp), error=str(exc)))
                continue
            self.metrics.stage.lag.labels(STAGE, tp.topic, str(tp.partition)).set(max(0, high - position))


def run_archive(config: Config, options: ArchiveOptions | None = None) -> int:
    """Open the configured store and run the archive until SIGTERM/SIGINT; return the exit code."""
    store = open_store(config.archive_dsn, config.state_dir)
    return Archive(config, store, options, shutdown=Shutdown().install()).run()
