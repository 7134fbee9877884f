"""Compacted topics as state: restore a changelog partition, and follow a whole topic as a table.

``restore`` reads one partition of a changelog from the beginning to its end (the last stable
offset, since it reads ``read_committed``) when a stage is assigned the matching input partition.
``GlobalTable`` keeps every partition of a compacted topic applied to a callback, in a background
thread, for lookups that any instance may need (the detector's title index).
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

from kafka import TopicPartition
from kafka.errors import KafkaError
from prometheus_client import CollectorRegistry, Counter

from newsstream.config import KafkaSettings
from newsstream.kafka_clients import make_consumer
from newsstream.log import fields

log = logging.getLogger(__name__)
Apply = Callable[[bytes, bytes | None], None]
Record = tuple[bytes, bytes | None]


class RestoreSkips:
    """Counts changelog records a restore could not apply: a bad record is skipped, never fatal
    (one malformed record must not keep a stage from starting; issue 14)."""

    def __init__(self, stage: str) -> None:
        self.stage = stage
        self.count = 0
        self._counter: Any = None

    def __getstate__(self) -> dict[str, Any]:
        # A stage is pickled into worker processes; the counter (with its lock) stays in the runner's.
        return {**self.__dict__, "_counter": None}

    def bind(self, registry: CollectorRegistry) -> None:
        self._counter = Counter(
            "newsstream_restore_skipped",
            "Changelog records skipped on restore because they could not be read",
            ["stage", "topic"],
            registry=registry,
        )

    def skip(self, topic: str, key: bytes, exc: BaseException) -> None:
        self.count += 1
        if self._counter is not None:
            self._counter.labels(self.stage, topic).inc()
        log.warning(
            "changelog record skipped on restore",
            extra=fields(
                stage=self.stage, topic=topic, key=key[:200].decode("utf-8", "replace"), error=repr(exc)[:300]
            ),
        )


def restore(
    kafka: KafkaSettings, topic: str, partition: int, stall_s: float = 120, last: int | None = None
) -> Iterator[Record]:
    """Yield (key, value) of every committed record in one changelog partition, oldest first
    (with ``last``: only those among the partition's last ``last`` offsets).

    Later records for a key supersede earlier ones; a ``None`` value is a tombstone. Fails only
    when no progress is made for ``stall_s`` seconds, so a large partition is never cut short.
    """
    consumer = make_consumer(kafka, None, max_poll_records=2000)
    tp = TopicPartition(topic, partition)
    try:
        consumer.assign([tp])
        consumer.seek_to_beginning(tp)
        end = consumer.end_offsets([tp])[tp]
        if last is not None:
            consumer.seek(tp, max(consumer.beginning_offsets([tp])[tp], end - last))
        last_progress = time.monotonic()
        while consumer.position(tp) < end:
            if time.monotonic() - last_progress > stall_s:
                position = consumer.position(tp)
                raise TimeoutError(
                    f"restoring {topic}[{partition}] stalled at offset {position} of {end} for {stall_s} s"
                )
            for records in consumer.poll(timeout_ms=500).values():
                last_progress = time.monotonic()
                for record in records:
                    if record.key is not None:
                        yield record.key, record.value
    finally:
        consumer.close()


class GlobalTable:
    """Follows every partition of a compacted topic, applying each record to ``apply`` in order."""

    def __init__(
        self, kafka: KafkaSettings, topic: str, apply: Apply, lock: threading.Lock, skips: RestoreSkips | None = None
    ) -> None:
        self.kafka = kafka
        self.topic = topic
        self.apply = apply
        self.skips = skips
        self.lock = lock
        self.records_applied = 0
        self._stop = threading.Event()
        self._caught_up = threading.Event()
        self._thread = threading.Thread(target=self._follow, name=f"table:{topic}", daemon=True)
        self._error: BaseException | None = None

    def start(self, wait_s: float = 120) -> GlobalTable:
        """Start following and block until the table has caught up with the topic's end."""
        self._thread.start()
        if not self._caught_up.wait(wait_s):
            raise TimeoutError(f"global table {self.topic} did not catch up within {wait_s} s")
        if self._error is not None:
            raise RuntimeError(f"global table {self.topic} failed: {self._error}") from self._error
        return self

    def alive(self) -> bool:
        """False once the follower thread has died (the process should then be restarted)."""
        return self._thread.is_alive() and self._error is None

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(5)

    def _follow(self) -> None:
        consumer = make_consumer(self.kafka, None, max_poll_records=2000)
        try:
            partitions = [
                TopicPartition(self.topic, p) for p in sorted(consumer.partitions_for_topic(self.topic) or [])
            ]
            consumer.assign(partitions)
            consumer.seek_to_beginning(*partitions)
            ends = consumer.end_offsets(partitions)
            while not self._stop.is_set():
                batch = consumer.poll(timeout_ms=500)
                with self.lock:
                    for records in batch.values():
                        for record in records:
                            if record.key is None:
                                continue
                            try:
                                self.apply(record.key, record.value)
                            except Exception as exc:  # noqa: BLE001 - a bad record is skipped, not fatal
                                if self.skips is None:
                                    raise
                                self.skips.skip(self.topic, record.key, exc)
                                continue
                            self.records_applied += 1
                if not self._caught_up.is_set() and all(consumer.position(tp) >= ends[tp] for tp in partitions):
                    self._caught_up.set()
        except (KafkaError, OSError) as exc:
            log.error("global table %s stopped: %s", self.topic, exc)
            self._error = exc
            self._caught_up.set()
        finally:
            consumer.close()
