"""Accounting: what a ``read_committed`` reader sees on the output topics, against what was expected.

A :class:`Collector` follows ``news.normalized.v1``, ``news.corrections.v1`` and the DLQ from the
beginning in a background thread while a scenario runs (the scenario waits on it to know a step is
done). The final count comes from :func:`read_all`, a fresh ``read_committed`` read of each topic up
to its last stable offset, after the pipeline has stopped.
"""

from __future__ import annotations

import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from kafka import KafkaConsumer, TopicPartition

from newsstream import codec
from newsstream.config import KafkaSettings
from newsstream.kafka_clients import make_consumer
from tests.faults.expected import Expected, Version


@dataclass
class Seen:
    """Records read from the output topics: identities with the produce time of each copy (epoch s)."""

    versions: list[tuple[Version, float]] = field(default_factory=list)
    events: list[tuple[str, float]] = field(default_factory=list)
    event_bodies: dict[str, dict[str, Any]] = field(default_factory=dict)
    dlq: list[dict[str, str]] = field(default_factory=list)

    def add(self, topic_kind: str, record: Any) -> None:
        stamp = record.timestamp / 1000.0
        if topic_kind == "normalized":
            article = codec.loads(record.value)
            self.versions.append(((article["id"], article["content_hash"]), stamp))
        elif topic_kind == "corrections":
            event = codec.loads(record.value)
            self.events.append((event["event_id"], stamp))
            self.event_bodies[event["event_id"]] = event
        else:
            headers = {k: (v or b"").decode("utf-8", "replace") for k, v in record.headers or []}
            self.dlq.append({"reason": headers.get("error.reason", "?"), "stage": headers.get("stage", "?")})


def _consumer(kafka: KafkaSettings, topics: dict[str, str]) -> tuple[KafkaConsumer, dict[str, str]]:
    consumer = make_consumer(kafka, None, request_timeout_ms=15_000)
    partitions = []
    for topic in topics.values():
        for p in sorted(consumer.partitions_for_topic(topic) or []):
            partitions.append(TopicPartition(topic, p))
    consumer.assign(partitions)
    consumer.seek_to_beginning(*partitions)
    return consumer, {topic: kind for kind, topic in topics.items()}


class Collector:
    """Follows the output topics (read_committed) in a thread; the scenario waits on it."""

    def __init__(self, kafka: KafkaSettings, topics: dict[str, str]) -> None:
        self.kafka = kafka
        self.topics = topics  # kind -> topic name: normalized, corrections, dlq
        self.seen = Seen()
        self.lock = threading.Lock()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._follow, name="chaos-collector", daemon=True)
        self.error: BaseException | None = None

    def start(self) -> Collector:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(10)

    def _follow(self) -> None:
        consumer, kinds = _consumer(self.kafka, self.topics)
        try:
            while not self._stop.is_set():
                try:
                    batch = consumer.poll(timeout_ms=200)
                except Exception as exc:  # noqa: BLE001 - a broker fault may surface here; keep following
                    self.error = exc
                    time.sleep(0.5)
                    continue
                with self.lock:
                    for tp, records in batch.items():
                        for record in records:
                            self.seen.add(kinds[tp.topic], record)
        finally:
            consumer.close()

    def snapshot(self) -> tuple[set[Version], set[str]]:
        with self.lock:
            return {v for v, _ in self.seen.versions}, {e for e, _ in self.seen.events}

    def first_output_after(self, moment: float, kind: str | None = None) -> float | None:
        """Produce time of the first committed record produced at or after ``moment`` on the output
        topics (``kind`` "normalized" or "corrections": on that one only)."""
        with self.lock:
            stamps = [t for _, t in self.seen.versions if t >= moment] if kind != "corrections" else []
            stamps += [t for _, t in self.seen.events if t >= moment] if kind != "normalized" else []
        return min(stamps) if stamps else None

    def wait_for(self, versions: set[Version], events: set[str], timeout_s: float) -> float | None:
        """Block until every one of ``versions`` and ``events`` was seen; the time it happened, or None."""
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            have_versions, have_events = self.snapshot()
            if versions <= have_versions and events <= have_events:
                return time.time()
            time.sleep(0.1)
        return None


def read_all(kafka: KafkaSettings, topics: dict[str, str], timeout_s: float = 60) -> Seen:
    """Every committed record of ``topics`` (kind -> name), read from the beginning to the LSO."""
    consumer, kinds = _consumer(kafka, topics)
    seen = Seen()
    try:
        partitions = list(consumer.assignment())
        ends = consumer.end_offsets(partitions)  # read_committed: the last stable offsets
        deadline = time.monotonic() + timeout_s
        while any(consumer.position(tp) < ends[tp] for tp in partitions):
            if time.monotonic() > deadline:
                raise TimeoutError(f"read_committed did not reach the last stable offsets {ends} in {timeout_s} s")
            for tp, records in consumer.poll(timeout_ms=500).items():
                for record in records:
                    seen.add(kinds[tp.topic], record)
    finally:
        consumer.close()
    return seen


@dataclass
class Row:
    """One line of the report table."""

    scenario: str
    articles: int
    versions_expected: int
    versions_seen: int
    events_expected: int
    events_seen: int
    lost: int
    duplicated: int
    unexpected: int
    recovery_s: float | None
    caught_up_s: float | None
    notes: str = ""
    details: list[str] = field(default_factory=list)


def account(
    scenario: str, expected: Expected, seen: Seen, recovery_s: float | None, caught_up_s: float | None, notes: str = ""
) -> Row:
    """Compare what a read_committed reader saw with the expected versions and events."""
    want_versions = expected.all_versions
    want_events = expected.all_events
    version_counts = Counter(v for v, _ in seen.versions)
    event_counts = Counter(e for e, _ in seen.events)
    lost_versions = sorted(want_versions - set(version_counts))
    lost_events = sorted(set(want_events) - set(event_counts))
    duplicates = {v: n for v, n in version_counts.items() if n > 1}
    duplicate_events = {e: n for e, n in event_counts.items() if n > 1}
    unexpected = sorted(set(version_counts) - want_versions) + sorted(set(event_counts) - set(want_events))
    details = [f"lost version {v}" for v in lost_versions]
    details += [f"lost event {e} ({want_events[e]['type']}: {want_events[e]['title']})" for e in lost_events]
    details += [f"version {v} seen {n} times" for v, n in duplicates.items()]
    details += [f"event {e} ({want_events.get(e, {}).get('type')}) seen {n} times" for e, n in duplicate_events.items()]
    details += [f"unexpected {u}" for u in unexpected]
    details += [f"dead-lettered by {d['stage']}: {d['reason']}" for d in seen.dlq]
    for event_id, body in seen.event_bodies.items():  # same id, same meaning (the link included)
        want = want_events.get(event_id)
        same = want is None or (want["type"], want["referenced_article"]) == (body["type"], body["referenced_article"])
        if not same:
            details.append(f"event {event_id} differs: {body['type']} {body['referenced_article']}")
    return Row(
        scenario=scenario,
        articles=len(expected.articles),
        versions_expected=len(want_versions),
        versions_seen=len(want_versions & set(version_counts)),
        events_expected=len(want_events),
        events_seen=len(set(want_events) & set(event_counts)),
        lost=len(lost_versions) + len(lost_events),
        duplicated=sum(n - 1 for n in duplicates.values()) + sum(n - 1 for n in duplicate_events.values()),
        unexpected=len(unexpected) + len(seen.dlq),
        recovery_s=recovery_s,
        caught_up_s=caught_up_s,
        notes=notes,
        details=details,
    )


COLUMNS = (
    "scenario", "articles fed", "versions exp/seen", "events exp/seen", "lost", "duplicated", "unexpected",
    "recovery s", "caught up s", "notes",
)  # fmt: skip


def table(rows: list[Row]) -> str:
    """The rows as a fixed-width text table."""

    def seconds(value: float | None) -> str:
        return "-" if value is None else f"{value:.1f}"

    cells = [
        [
            r.scenario, str(r.articles), f"{r.versions_expected}/{r.versions_seen}",
            f"{r.events_expected}/{r.events_seen}", str(r.lost), str(r.duplicated), str(r.unexpected),
            seconds(r.recovery_s), seconds(r.caught_up_s), r.notes,
        ]
        for r in rows
    ]  # fmt: skip
    widths = [max(len(c[i]) for c in [list(COLUMNS), *cells]) for i in range(len(COLUMNS))]
    lines = [" | ".join(h.ljust(w) for h, w in zip(COLUMNS, widths, strict=True))]
    lines.append("-+-".join("-" * w for w in widths))
    lines += [" | ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)) for row in cells]
    return "\n".join(lines)
