"""The correction detector stage: news.normalized.v1 → detect() → news.corrections.v1 (CloudEvents).

State per article lives in memory, per input partition, and in the compacted changelog
``news.detector-state.v1`` (co-partitioned with the input: the state of input partition p is
written to changelog partition p). It is restored when partitions are assigned. The title index is
a global table: every instance follows all of ``news.titles.v1``. Events, state updates, title
records and the consumed offsets are committed in one transaction by the shared runner.

Title-index order matches the offline ``newsstream detect``: an article is looked up in the index
before its own title is added.
"""

from __future__ import annotations

import logging
import threading
import time
from typing import Any

from kafka import TopicPartition
from kafka.consumer.fetcher import ConsumerRecord
from prometheus_client import CollectorRegistry, Gauge

from consumers.detect import step
from consumers.detector_state import ArticleState
from consumers.specs import DETECT
from consumers.title_index import TitleIndex
from newsstream import codec
from newsstream.bounded_labels import OTHER, BoundedLabel
from newsstream.changelog import GlobalTable, RestoreSkips, restore
from newsstream.config import Config
from newsstream.log import fields
from newsstream.messages import decode, epoch_seconds, headers_for
from newsstream.stage import Output, StageBase

log = logging.getLogger(__name__)
#: Every CorrectionEvent type (the schema's enum), so each series exists from the start.
EVENT_TYPES = (
    "correction", "clarification", "update", "retraction", "editors_note", "headline_change", "content_change",
    "unpublished",
)  # fmt: skip
CE_SOURCE = "newsstream/detect-corrections"


def cloudevent_headers(event: dict[str, Any]) -> list[tuple[str, bytes]]:
    """CloudEvents Kafka protocol binding, binary mode: attributes as ``ce_`` headers."""
    return [
        ("ce_specversion", b"1.0"),
        ("ce_id", str(event["event_id"]).encode()),
        ("ce_source", CE_SOURCE.encode()),
        ("ce_type", f"news.article.{event['type']}".encode()),
        ("ce_time", str(event["detected_at"]).encode()),
        ("ce_subject", str(event["article_id"]).encode()),
        ("ce_dataschema", headers_for("correction-event")[1][1]),
        *headers_for("correction-event"),
    ]


class DetectStage(StageBase):
    """Thin adapter around the pure ``detect()``: state store, title table, event encoding."""

    name = DETECT.name
    stateless = False

    def __init__(self, config: Config, registry: CollectorRegistry | None = None) -> None:
        self.config = config
        self.stores: dict[int, dict[str, ArticleState]] = {}
        self.titles = TitleIndex()
        self.lock = threading.Lock()
        self.table: GlobalTable | None = None
        self.registry = registry
        self.corrections: Any = None
        self.publisher_label = BoundedLabel()
        self._labelled: set[str] = set()
        self.state_size: Any = None
        self.restore_seconds: Any = None
        self.index_size: Any = None
        #: Changelog and title records a restore could not read: skipped and counted, never fatal.
        self.skips = RestoreSkips(self.name)

    def bind_metrics(self, registry: CollectorRegistry) -> None:
        """Create this stage's own metrics on the runner's registry."""
        from prometheus_client import Counter

        self.skips.bind(registry)
        self.corrections = Counter(
            "newsstream_corrections",
            "Correction events emitted by type and publisher (NEWSSTREAM_METRICS_PUBLISHERS, else the first "
            "NEWSSTREAM_METRICS_PUBLISHER_SLOTS seen; the rest 'other')",
            ["type", "publisher"],
            registry=registry,
        )
        self.publisher_label = BoundedLabel(self.config.metrics_publishers, self.config.metrics_publisher_slots)
        self._labelled = {*self.publisher_label.known(), OTHER}
        for kind in EVENT_TYPES:
            for publisher in self._labelled:
                self.corrections.labels(kind, publisher)
        self.state_size = Gauge(
            "newsstream_detector_state_articles", "Articles held in the state store", registry=registry
        )
        self.state_size.set_function(lambda: sum(len(s) for s in self.stores.values()))
        self.restore_seconds = Gauge(
            "newsstream_detector_restore_seconds",
            "Seconds the last state restore from the changelog took",
            registry=registry,
        )
        self.index_size = Gauge("newsstream_title_index_entries", "Entries in the title index", registry=registry)
        self.index_size.set_function(lambda: len(self.titles))

    def input_topics(self) -> list[str]:
        return DETECT.input_topics(self.config.topics)

    def is_alive(self) -> bool:
        return self.table is None or self.table.alive()

    # --- assignment ------------------------------------------------------------------------------
    def on_assigned(self, partitions: set[TopicPartition]) -> None:
        if self.table is None:
            started = time.monotonic()
            self.table = GlobalTable(
                self.config.kafka, self.config.topics.titles, self._apply_title, self.lock, self.skips
            )
            self.table.start()
            log.info(
                "title index loaded",
                extra=fields(entries=len(self.titles), seconds=round(time.monotonic() - started, 3)),
            )
        started = time.monotonic()
        restored = 0
        for tp in partitions:
            store: dict[str, ArticleState] = {}
            topic = self.config.topics.detector_state
            for key, value in restore(self.config.kafka, topic, tp.partition):
                try:
                    if value is None:
                        store.pop(key.decode(), None)
                    else:
                        state = ArticleState.from_dict(codec.loads(value))
                        store[state.article_id] = state  # the key is the article id: one string for both
                except Exception as exc:  # noqa: BLE001 - a bad changelog record is skipped, not fatal
                    self.skips.skip(topic, key, exc)
            self.stores[tp.partition] = store
            restored += len(store)
        elapsed = time.monotonic() - started
        if self.restore_seconds is not None:
            self.restore_seconds.set(elapsed)
        log.info(
            "state restored from changelog",
            extra=fields(
                partitions=sorted(tp.partition for tp in partitions), articles=restored, seconds=round(elapsed, 3)
            ),
        )

    def on_revoked(self, partitions: set[TopicPartition]) -> None:
        for tp in partitions:
            self.stores.pop(tp.partition, None)

    def _apply_title(self, key: bytes, value: bytes | None) -> None:
        if value is None:
            self.titles.remove(key.decode())
        else:
            self.titles.add_key(key.decode(), value.decode())

    # --- one record ------------------------------------------------------------------------------
    def process(self, record: ConsumerRecord) -> list[Output]:
        article = decode(record.value, "normalized-article")
        store = self.stores.setdefault(record.partition, {})
        article_id = article["id"]
        previous = store.get(article_id)
        with self.lock:
            events, state, new_title_key = step(previous, article, self.titles, threshold=self.config.notice_threshold)
        outputs: list[Output] = []
        ms = article.get("fetched_at_ms")
        fetched_at = ms / 1000 if ms is not None else epoch_seconds(article.get("fetched_at"))
        topics = self.config.topics
        for event in events:
            outputs.append(
                Output(
                    topics.corrections,
                    article_id.encode(),
                    codec.dumps(event),
                    cloudevent_headers(event),
                    fetched_at=fetched_at,
                )
            )
            if self.corrections is not None:
                publisher = self.publisher_label.value(event.get("publisher"))
                if publisher not in self._labelled:  # a new series: every type starts at 0, not absent
                    self._labelled.add(publisher)
                    for kind in EVENT_TYPES:
                        self.corrections.labels(kind, publisher)
                self.corrections.labels(event["type"], publisher).inc()
        if state is not previous:
            store[article_id] = state
            outputs.append(
                Output(
                    topics.detector_state, article_id.encode(), codec.dumps(state.to_dict()), partition=record.partition
                )
            )
            if new_title_key is not None:
                outputs.append(Output(topics.titles, new_title_key.encode(), article_id.encode()))
        return outputs
