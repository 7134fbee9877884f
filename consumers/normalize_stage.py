"""The normalizer stage: news.raw.v1 → normalize() → news.normalized.v1, on the shared runner.

``news.normalized.v1`` carries one message per distinct version, but the producer is at-least-once:
a crash between Kafka's acknowledgement and its state commit sends the same version again. So the
stage remembers, per input partition, the fingerprint (the version's identity, computed once in
``normalize()``) last emitted for each article and drops a record whose fingerprint equals it
(``admit``, run in the runner's process, so the transform itself stays stateless and may run in
worker processes; the fingerprint travels in ``Output.identity``, so admit parses nothing). On
assignment the memory is rebuilt from the tail of the matching ``news.normalized.v1`` partition
(raw and normalized are both keyed by article id and created with the same partition count, so an
article's versions meet there).
"""

from __future__ import annotations

import logging
import time
from collections import OrderedDict

from kafka import TopicPartition
from kafka.consumer.fetcher import ConsumerRecord

from consumers.normalize import normalize
from consumers.specs import NORMALIZE
from consumers.versions import fingerprint
from newsstream import codec
from newsstream.changelog import restore
from newsstream.config import Config
from newsstream.log import fields
from newsstream.messages import decode, epoch_seconds, json_output
from newsstream.runner import Output, StageBase

log = logging.getLogger(__name__)

#: Articles remembered per partition (and normalized records read back on assignment). A copy is
#: caught while its article is among the partition's most recent ones; re-emissions come seconds
#: after the original.
DEDUPE_WINDOW = 5000


class NormalizeStage(StageBase):
    """Thin adapter: decode and validate a RawArticle, normalize it, emit the NormalizedArticle."""

    name = NORMALIZE.name
    stateless = True  # process() keeps no state; admit() does, in the runner's process

    def __init__(self, config: Config) -> None:
        self.config = config
        self.last_hash: dict[int, OrderedDict[str, str]] = {}
        self.dropped = 0

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

    def admit(self, record: ConsumerRecord, outputs: list[Output]) -> list[Output]:
        """Drop the output when it repeats the version last emitted for its article."""
        seen = self.last_hash.setdefault(record.partition, OrderedDict())
        kept = []
        for out in outputs:
            if out.topic != self.config.topics.normalized or out.key is None or out.value is None:
                kept.append(out)
                continue
            article_id, chash = out.key.decode(), out.identity or _fingerprint(out.value)
            if seen.get(article_id) == chash:
                self.dropped += 1
                log.info(
                    "dropped a copy of a version already emitted",
                    extra=fields(article_id=article_id, partition=record.partition, offset=record.offset),
                )
                continue
            _remember(seen, article_id, chash)
            kept.append(out)
        return kept

    def on_assigned(self, partitions: set[TopicPartition]) -> None:
        """Rebuild the memory of emitted versions from the tail of the matching output partitions."""
        started = time.monotonic()
        for tp in partitions:
            seen: OrderedDict[str, str] = OrderedDict()
            for key, value in restore(
                self.config.kafka, self.config.topics.normalized, tp.partition, last=DEDUPE_WINDOW
            ):
                if value is not None:
                    _remember(seen, key.decode(), _fingerprint(value))
            self.last_hash[tp.partition] = seen
        log.info(
            "emitted versions restored",
            extra=fields(
                partitions=sorted(tp.partition for tp in partitions),
                articles=sum(len(self.last_hash[tp.partition]) for tp in partitions),
                seconds=round(time.monotonic() - started, 3),
            ),
        )

    def on_revoked(self, partitions: set[TopicPartition]) -> None:
        for tp in partitions:
            self.last_hash.pop(tp.partition, None)


def _remember(seen: OrderedDict[str, str], article_id: str, chash: str) -> None:
    seen[article_id] = chash
    seen.move_to_end(article_id)
    if len(seen) > DEDUPE_WINDOW:
        seen.popitem(last=False)


_FP_FIELD = b'"fingerprint":"'


def _fingerprint(value: bytes) -> str:
    """The fingerprint of an encoded NormalizedArticle (read back on assignment): found verbatim in
    orjson's compact JSON, else computed from the text of a message written before the field."""
    start = value.find(_FP_FIELD)
    if start >= 0:
        start += len(_FP_FIELD)
        end = value.find(b'"', start)
        if end > start:
            return value[start:end].decode()
    article = codec.loads(value)
    return fingerprint(str(article.get("title") or ""), str(article.get("body_text") or ""))
