"""Fault injection with a known kill point.

A SIGKILL at a random moment mostly lands between batches, where nothing is at stake. These helpers
run the target in short slices (SIGCONT, ~2 ms, SIGSTOP) and look at the broker between slices, so
the kill lands where it hurts:

- a consuming stage is killed while one of its transactions is open: the high watermark of an
  output partition (read_uncommitted end offset) is past its last stable offset (read_committed end
  offset), i.e. outputs are written but neither committed nor aborted;
- the producer is killed as soon as the broker has appended new raw records, before the producer
  has had time to record them as emitted in its SQLite state (it reports how many were unrecorded).
"""

from __future__ import annotations

import os
import signal
import sqlite3
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from kafka import KafkaConsumer, TopicPartition

from newsstream import codec
from newsstream.config import KafkaSettings
from newsstream.kafka_clients import make_consumer
from tests.faults.pipeline import StageProcess

SLICE_S = 0.002


class OffsetProbe:
    """End offsets of some topics as read_uncommitted (high watermark) and read_committed (LSO)."""

    def __init__(self, kafka: KafkaSettings, topics: list[str]) -> None:
        self.committed: KafkaConsumer = make_consumer(kafka, None)
        self.uncommitted: KafkaConsumer = make_consumer(kafka, None, isolation_level="read_uncommitted")
        self.partitions = [
            TopicPartition(topic, p)
            for topic in topics
            for p in sorted(self.committed.partitions_for_topic(topic) or [])
        ]

    def high_watermarks(self) -> dict[TopicPartition, int]:
        return self.uncommitted.end_offsets(self.partitions)

    def open_transaction(self) -> list[TopicPartition]:
        """Partitions with records of a transaction that is neither committed nor aborted."""
        high = self.uncommitted.end_offsets(self.partitions)
        stable = self.committed.end_offsets(self.partitions)
        return [tp for tp in self.partitions if high[tp] > stable[tp]]

    def close(self) -> None:
        self.committed.close()
        self.uncommitted.close()


def _sliced_until(pid: int, condition: Callable[[], Any], timeout_s: float) -> Any:
    """Run ``pid`` in short slices until ``condition()`` is truthy; leaves it stopped. Returns the value."""
    deadline = time.monotonic() + timeout_s
    os.kill(pid, signal.SIGSTOP)
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        os.kill(pid, signal.SIGCONT)
        time.sleep(SLICE_S)
        os.kill(pid, signal.SIGSTOP)
    return None


def kill_in_transaction(
    stage: StageProcess, kafka: KafkaSettings, output_topics: list[str], timeout_s: float = 30
) -> str:
    """SIGKILL ``stage`` while it has an open transaction on ``output_topics``; a note saying where it died."""
    probe = OffsetProbe(kafka, output_topics)
    try:
        open_partitions = _sliced_until(stage.pid, probe.open_transaction, timeout_s)
    finally:
        stage.kill()
        probe.close()
    if not open_partitions:
        return "killed between transactions (no open one seen)"
    names = sorted({f"{tp.topic.rsplit('.', 2)[-2]}[{tp.partition}]" for tp in open_partitions})
    return f"killed inside an open transaction ({', '.join(names)})"


def kill_after_append(
    stage: StageProcess, kafka: KafkaSettings, raw_topic: str, state_file: Path, timeout_s: float = 30
) -> str:
    """SIGKILL the producer once the broker holds new raw records; say how many it had not yet recorded."""
    probe = OffsetProbe(kafka, [raw_topic])
    try:
        before = probe.high_watermarks()

        def appended() -> bool:
            return any(high > before[tp] for tp, high in probe.high_watermarks().items())

        hit = _sliced_until(stage.pid, appended, timeout_s)
    finally:
        stage.kill()
        probe.close()
    if not hit:
        return "killed before any new raw record was appended"
    new = _raw_since(kafka, raw_topic, before)
    recorded = _recorded_fingerprints(state_file)
    unrecorded = [k for k in new if k not in recorded]
    return f"killed after {len(new)} raw appends, {len(unrecorded)} not yet in the producer's state"


def _raw_since(kafka: KafkaSettings, topic: str, start: dict[TopicPartition, int]) -> list[tuple[str, str]]:
    consumer = make_consumer(kafka, None, isolation_level="read_uncommitted")
    found: list[tuple[str, str]] = []
    try:
        consumer.assign(list(start))
        for tp, offset in start.items():
            consumer.seek(tp, offset)
        ends = consumer.end_offsets(list(start))
        deadline = time.monotonic() + 15
        while any(consumer.position(tp) < ends[tp] for tp in start) and time.monotonic() < deadline:
            for records in consumer.poll(timeout_ms=300).values():
                for record in records:
                    raw = codec.loads(record.value)
                    found.append((raw["article_id"], raw["entry"]["fingerprint"]))
    finally:
        consumer.close()
    return found


def _recorded_fingerprints(state_file: Path) -> set[tuple[str, str]]:
    if not state_file.exists():
        return set()
    connection = sqlite3.connect(f"file:{state_file}?mode=ro", uri=True)
    try:
        return {(a, f) for a, f in connection.execute("SELECT article_id, fingerprint FROM entries")}
    finally:
        connection.close()
