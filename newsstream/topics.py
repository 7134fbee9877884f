"""The topics of DESIGN.md and an idempotent ``create`` for them."""

from __future__ import annotations

from dataclasses import dataclass

from kafka.admin import NewTopic
from kafka.errors import TopicAlreadyExistsError

from newsstream.config import Config
from newsstream.kafka_clients import make_admin


@dataclass(frozen=True)
class TopicSpec:
    """One topic: name, whether it is compacted, and a line saying what it carries."""

    name: str
    compacted: bool
    purpose: str


def topic_specs(config: Config) -> list[TopicSpec]:
    """Every topic the pipeline uses, with its cleanup policy."""
    t = config.topics
    return [
        TopicSpec(t.raw, False, "RawArticle: what the feed said"),
        TopicSpec(t.normalized, False, "NormalizedArticle: one message per distinct version"),
        TopicSpec(t.corrections, False, "CorrectionEvent (CloudEvents binary mode)"),
        TopicSpec(t.dlq, False, "messages a stage could not process, with the reason in headers"),
        TopicSpec(t.detector_state, True, "detector state changelog, keyed by article id"),
        TopicSpec(t.titles, True, "title index: publisher + normalized title -> article id"),
        TopicSpec(t.producer_state, True, "feed fetch state (validators, entry fingerprints)"),
        TopicSpec(t.page_schedule, True, "article page revisit schedule"),
    ]


def topic_configs(spec: TopicSpec, replication_factor: int) -> dict[str, str]:
    configs = {"cleanup.policy": "compact" if spec.compacted else "delete"}
    if replication_factor >= 3:
        configs["min.insync.replicas"] = "2"
    if spec.compacted:
        # Compact soon enough that restores stay short in a long-running deployment.
        configs["min.cleanable.dirty.ratio"] = "0.1"
        configs["segment.ms"] = str(6 * 3600 * 1000)
    return configs


def create_topics(config: Config) -> list[tuple[TopicSpec, bool]]:
    """Create missing topics; return each spec with True when it was created now."""
    admin = make_admin(config.kafka)
    try:
        existing = set(admin.list_topics())
        results: list[tuple[TopicSpec, bool]] = []
        for spec in topic_specs(config):
            if spec.name in existing:
                results.append((spec, False))
                continue
            new = NewTopic(
                name=spec.name,
                num_partitions=config.partitions,
                replication_factor=config.replication_factor,
                topic_configs=topic_configs(spec, config.replication_factor),
            )
            try:
                admin.create_topics([new])
                results.append((spec, True))
            except TopicAlreadyExistsError:  # another process won the race
                results.append((spec, False))
        return results
    finally:
        admin.close()
