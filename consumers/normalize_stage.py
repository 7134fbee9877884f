"""The normalizer stage: news.raw.v1 → normalize() → news.normalized.v1, on the shared runner."""

from __future__ import annotations

from kafka import TopicPartition
from kafka.consumer.fetcher import ConsumerRecord

from consumers.normalize import normalize
from newsstream.config import Config
from newsstream.messages import decode, epoch_seconds, json_output
from newsstream.runner import Output


class NormalizeStage:
    """Thin adapter: decode and validate a RawArticle, normalize it, emit the NormalizedArticle."""

    name = "normalize"
    stateless = True

    def __init__(self, config: Config) -> None:
        self.config = config

    def input_topics(self) -> list[str]:
        return [self.config.topics.raw]

    def process(self, record: ConsumerRecord) -> list[Output]:
        raw = decode(record.value, "raw-article")
        article = normalize(raw)
        return [
            json_output(
                self.config.topics.normalized,
                article["id"],
                article,
                "normalized-article",
                fetched_at=epoch_seconds(article.get("fetched_at")),
            )
        ]

    def on_assigned(self, partitions: set[TopicPartition]) -> None:
        """Stateless: nothing to restore."""

    def on_revoked(self, partitions: set[TopicPartition]) -> None:
        """Stateless: nothing to drop."""
