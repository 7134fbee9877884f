"""The normalizer stage: news.raw.v1 → normalize() → news.normalized.v1, on the shared runner.

``news.normalized.v1`` carries one message per distinct version, but the producer is at-least-once:
a crash between Kafka's acknowledgement and its state commit sends the same version again. So the
stage remembers, per input partition, the fingerprint (the version's identity, computed once in
``normalize()``) last emitted for each article and drops a record whose fingerprint equals it
(``admit``, run in the runner's process, so the transform itself stays stateless and may run in
worker processes; the fingerprint travels in ``Output.identity``, so admit parses nothing).

The memory is keyed per article, not a window of recent ones (a 50,000-item feed re-sent whole was
normalized twice with a 5,000-article window), and it is its own compacted changelog,
``news.normalizer-state.v1`` (key: article id, value: the fingerprint, co-partitioned with the
input), written in the same transaction as the output, so it survives restarts and aborts exactly
like the detector's state, and is restored whole on assignment without reading the output topic.
About 100 bytes per article in memory; a changelog record that cannot be read is skipped and
counted (``newsstream_restore_skipped_total``).
"""

from __future__ import annotations

import logging
import time

from kafka import TopicPartition
from kafka.consumer.fetcher import ConsumerRecord
from prometheus_client import CollectorRegistry

from consumers.normalize import normalize
from consumers.specs import NORMALIZE
from consumers.versions import fingerprint
from newsstream import codec
from newsstream.changelog import RestoreSkips, restore
from newsstream.config import Config
from newsstream.log import fields
from newsstream.messages import decode, epoch_seconds, json_output
from newsstream.stage import Output, StageBase

log = logging.getLogger(__name__)


class NormalizeStage(StageBase):
    """Thin adapter: decode and validate a RawArticle, normalize it, emit the NormalizedArticle."""

    name = NORMALIZE.name
    stateless = True  # process() keeps no state; admit() does, in the runner's process

    def __init__(self, config: Config) -> None:
        self.config = config
        #: Per input partition: article id -> fingerprint of the version last emitted.
        self.last_seen: dict[int, dict[str, str]] = {}
        self.dropped = 0
        self.skips = RestoreSkips(self.name)

    def input_topics(self) -> list[str]:
        return NORMALIZE.input_topics(self.config.topics)

    def process(self, record: ConsumerRecord) -> list[Output]:
        raw = decode(record.value, "raw-article")
        article = normalize(raw)
        ms = article.get("fetched_at_ms")
        return [
            json_output(
                self.config.topics.normalized,
                article["id"],
                article,
                "normalized-article",
                fetched_at=ms / 1000 if ms is not None else epoch_seconds(article.get("fetched_at")),
                identity=article["fingerprint"],
            )
        ]

    def bind_metrics(self, registry: CollectorRegistry) -> None:
        self.skips.bind(registry)

    def admit(self, record: ConsumerRecord, outputs: list[Output]) -> list[Output]:
        """Drop the output when it repeats the version last emitted for its article; else keep it
        and record its fingerprint in the changelog, in the same transaction as the output."""
        seen = self.last_seen.setdefault(record.partition, {})
        state_topic = self.config.topics.normalizer_state
        kept = []
        for out in outputs:
            if out.topic != self.config.topics.normalized or out.key is None or out.value is None:
                kept.append(out)
                continue
            article_id, identity = out.key.decode(), out.identity or _fingerprint(out.value)
            if seen.get(article_id) == identity:
                self.dropped += 1
                log.info(
                    "dropped a copy of a version already emitted",
                    extra=fields(article_id=article_id, partition=record.partition, offset=record.offset),
                )
                continue
            seen[article_id] = identity
            kept.append(out)
            kept.append(Output(state_topic, out.key, identity.encode(), partition=record.partition))
        return kept

    def on_assigned(self, partitions: set[TopicPartition]) -> None:
        """Rebuild the memory of emitted versions from the changelog partitions matching the input's;
        a record that cannot be read is skipped and counted, never fatal."""
        started = time.monotonic()
        topic = self.config.topics.normalizer_state
        for tp in partitions:
            seen: dict[str, str] = {}
            for key, value in restore(self.config.kafka, topic, tp.partition):
                try:
                    article_id = key.decode()
                    if value is None:
                        seen.pop(article_id, None)
                    else:
                        seen[article_id] = _identity(value)
                except ValueError as exc:  # UnicodeDecodeError included
                    self.skips.skip(topic, key, exc)
            self.last_seen[tp.partition] = seen
        log.info(
            "emitted versions restored",
            extra=fields(
                partitions=sorted(tp.partition for tp in partitions),
                articles=sum(len(self.last_seen[tp.partition]) for tp in partitions),
                skipped=self.skips.count,
                seconds=round(time.monotonic() - started, 3),
            ),
        )

    def on_revoked(self, partitions: set[TopicPartition]) -> None:
        for tp in partitions:
            self.last_seen.pop(tp.partition, None)


def _identity(value: bytes) -> str:
    """A changelog value: the 16 hex chars of a version's fingerprint (ValueError otherwise)."""
    text = value.decode("ascii")
    if len(text) != 16 or any(c not in "0123456789abcdef" for c in text):
        raise ValueError(f"not a fingerprint: {value[:40]!r}")
    return text


_FP_FIELD = b'"fingerprint":"'


def _fingerprint(value: bytes) -> str:
    """The fingerprint of an encoded NormalizedArticle whose Output carries no identity: found
    verbatim in orjson's compact JSON, else computed from its text."""
    start = value.find(_FP_FIELD)
    if start >= 0:
        start += len(_FP_FIELD)
        end = value.find(b'"', start)
        if end > start:
            return value[start:end].decode()
    article = codec.loads(value)
    return fingerprint(str(article.get("title") or ""), str(article.get("body_text") or ""))
