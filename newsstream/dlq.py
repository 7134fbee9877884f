"""Reading and replaying the dead-letter topic (``newsstream dlq``).

Every stage writes the *input* it gave up on to ``news.dlq.v1`` with headers saying which stage,
why (``error.reason``, ``error.class``, ``error.message``, ``error.traceback``) and where it came
from (``source.topic``/``source.partition``/``source.offset``); see newsstream/dead_letters.py. This
module reads the topic whole (``read_committed``, no consumer group, so it disturbs nothing),
selects records, and replays selected ones to their source topic after a fix: same key, same bytes,
plus a ``replayed.from`` header naming the dead letter.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field

from kafka import TopicPartition

from newsstream.config import Config
from newsstream.kafka_clients import make_consumer, make_producer


@dataclass(frozen=True)
class DeadLetter:
    """One record of the DLQ, with its headers decoded."""

    partition: int
    offset: int
    timestamp_ms: int
    key: bytes | None
    value: bytes | None
    headers: dict[str, str]

    @property
    def stage(self) -> str:
        return self.headers.get("stage", "?")

    @property
    def reason(self) -> str:
        return self.headers.get("error.reason", "?")

    @property
    def source(self) -> str | None:
        return self.headers.get("source.topic")

    @property
    def truncated(self) -> bool:
        """True when the DLQ kept only the start of the value (it cannot be replayed)."""
        return "truncated.from" in self.headers


@dataclass(frozen=True)
class Selection:
    """Which dead letters a command applies to (every field optional; all must match)."""

    stage: str | None = None
    reason: str | None = None
    partition: int | None = None
    from_offset: int | None = None
    to_offset: int | None = None  # inclusive

    def matches(self, letter: DeadLetter) -> bool:
        return (
            (self.stage is None or letter.stage == self.stage)
            and (self.reason is None or letter.reason == self.reason)
            and (self.partition is None or letter.partition == self.partition)
            and (self.from_offset is None or letter.offset >= self.from_offset)
            and (self.to_offset is None or letter.offset <= self.to_offset)
        )


def read(config: Config, topic: str | None = None, idle_ms: int = 2000) -> Iterator[DeadLetter]:
    """Every committed record of the DLQ, up to the end offsets seen at the start, partition by partition."""
    topic = topic or config.topics.dlq
    consumer = make_consumer(config.kafka, None, max_poll_records=500)
    try:
        partitions = [TopicPartition(topic, p) for p in sorted(consumer.partitions_for_topic(topic) or [])]
        if not partitions:
            return
        consumer.assign(partitions)
        consumer.seek_to_beginning(*partitions)
        ends = consumer.end_offsets(partitions)
        open_partitions = {tp for tp in partitions if consumer.position(tp) < ends[tp]}
        while open_partitions:
            batch = consumer.poll(timeout_ms=idle_ms)
            if not batch:
                break  # nothing more arrives (aborted transactions leave gaps before the end offset)
            for tp, records in batch.items():
                for record in records:
                    if record.offset < ends[tp]:
                        yield DeadLetter(
                            record.partition,
                            record.offset,
                            record.timestamp,
                            record.key,
                            record.value,
                            {k: (v or b"").decode("utf-8", "replace") for k, v in (record.headers or [])},
                        )
            open_partitions = {tp for tp in open_partitions if consumer.position(tp) < ends[tp]}
    finally:
        consumer.close()


@dataclass
class Group:
    """Dead letters of one stage and reason."""

    stage: str
    reason: str
    count: int = 0
    first: tuple[int, int] | None = None  # (partition, offset)
    last: tuple[int, int] | None = None
    sources: set[str] = field(default_factory=set)
    example: str = ""


def group(letters: Iterable[DeadLetter]) -> list[Group]:
    """Dead letters grouped by (stage, reason), largest group first."""
    groups: dict[tuple[str, str], Group] = {}
    for letter in letters:
        g = groups.setdefault((letter.stage, letter.reason), Group(letter.stage, letter.reason))
        g.count += 1
        where = (letter.partition, letter.offset)
        g.first = where if g.first is None else min(g.first, where)
        g.last = where if g.last is None else max(g.last, where)
        if letter.source:
            g.sources.add(letter.source)
        if not g.example:
            g.example = letter.headers.get("error.message", "")[:120]
    return sorted(groups.values(), key=lambda g: (-g.count, g.stage, g.reason))


@dataclass
class ReplayReport:
    """What a replay did (or, with ``dry_run``, would do)."""

    sent: dict[str, int] = field(default_factory=dict)  # source topic -> records
    skipped_truncated: list[DeadLetter] = field(default_factory=list)
    skipped_no_source: list[DeadLetter] = field(default_factory=list)


def replay(
    config: Config, letters: Iterable[DeadLetter], dlq_topic: str | None = None, dry_run: bool = False
) -> ReplayReport:
    """Send each letter's key and value back to its source topic (idempotent producer, flushed)."""
    dlq_topic = dlq_topic or config.topics.dlq
    report = ReplayReport()
    producer = None if dry_run else make_producer(config.kafka)
    try:
        for letter in letters:
            if letter.truncated:
                report.skipped_truncated.append(letter)
                continue
            if not letter.source:
                report.skipped_no_source.append(letter)
                continue
            if producer is not None:
                origin = f"{dlq_topic}/{letter.partition}/{letter.offset}".encode()
                producer.send(letter.source, key=letter.key, value=letter.value, headers=[("replayed.from", origin)])
            report.sent[letter.source] = report.sent.get(letter.source, 0) + 1
        if producer is not None:
            producer.flush(timeout=60)
    finally:
        if producer is not None:
            producer.close(timeout=10)
    return report
