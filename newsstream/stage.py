"""What a stage is to the runner: the records it produces (:class:`Output`) and the methods it
declares (:class:`Stage`, with no-op defaults in :class:`StageBase`). Imports no Kafka client code
beyond the record and partition types, so stage modules and their tests can use it freely."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol

from kafka import TopicPartition
from kafka.consumer.fetcher import ConsumerRecord
from prometheus_client import CollectorRegistry

Headers = list[tuple[str, bytes]]


@dataclass(frozen=True)
class Output:
    """One record to produce. ``partition`` pins it (changelogs co-partitioned with the input)."""

    topic: str
    key: bytes | None
    value: bytes | None
    headers: Headers = field(default_factory=list)
    partition: int | None = None
    #: Epoch seconds of the feed fetch this output derives from, for the end-to-end latency histogram.
    fetched_at: float | None = None
    #: What makes this output distinct (the normalizer's version fingerprint), for the stage's
    #: admit(); carried beside the value so admit() never parses the value again.
    identity: str | None = None


class Stage(Protocol):
    """What a stage gives the runner. Every method is declared here (the runner discovers nothing);
    :class:`StageBase` supplies no-op defaults for the optional ones."""

    name: str
    #: True when process() keeps no state between records (the runner may then use worker processes).
    stateless: bool
    #: Seconds between two calls of tick(); None = the stage has no timer-driven work.
    tick_interval_s: float | None

    def input_topics(self) -> list[str]: ...

    def process(self, record: ConsumerRecord) -> list[Output]:
        """Transform one record; raise MessageError to send it to the DLQ."""
        ...

    def admit(self, record: ConsumerRecord, outputs: list[Output]) -> list[Output]:
        """The last word on one record's outputs, run in the runner's process (even when process()
        runs in workers), with the stage's per-partition state; returns the outputs to send."""
        ...

    def tick(self, now: float) -> list[Output]:
        """Timer-driven work (epoch seconds ``now``); its outputs join the current transaction."""
        ...

    def drain(self) -> list[Output]:
        """Shutdown: finish in-flight timer work briefly; the outputs go in one last transaction."""
        ...

    def on_assigned(self, partitions: set[TopicPartition]) -> None:
        """Partitions were assigned (restore state for them before any record arrives)."""
        ...

    def on_revoked(self, partitions: set[TopicPartition]) -> None:
        """Partitions were revoked, or a transaction was aborted (drop their state)."""
        ...

    def bind_metrics(self, registry: CollectorRegistry) -> None:
        """Create the stage's own metrics on the runner's registry."""
        ...

    def is_alive(self) -> bool:
        """False when a background part of the stage died (/healthz fails; the supervisor restarts)."""
        ...

    def close(self) -> None:
        """Release what the stage opened (threads, clients), after the last transaction."""
        ...


class StageBase:
    """No-op defaults for a Stage's optional methods (subclass it and override what you need)."""

    name: str = "stage"
    stateless: bool = False
    tick_interval_s: float | None = None

    def input_topics(self) -> list[str]:
        raise NotImplementedError

    def process(self, record: ConsumerRecord) -> list[Output]:
        raise NotImplementedError

    def admit(self, record: ConsumerRecord, outputs: list[Output]) -> list[Output]:
        return outputs

    def tick(self, now: float) -> list[Output]:
        return []

    def drain(self) -> list[Output]:
        return []

    def on_assigned(self, partitions: set[TopicPartition]) -> None:
        return None

    def on_revoked(self, partitions: set[TopicPartition]) -> None:
        return None

    def bind_metrics(self, registry: CollectorRegistry) -> None:
        return None

    def is_alive(self) -> bool:
        return True

    def close(self) -> None:
        return None
