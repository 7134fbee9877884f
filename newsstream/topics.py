"""The topics of DESIGN.md and an idempotent ``create`` for them."""

from __future__ import annotations

from collections.abc import Iterable
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


#: Per Topics field: compacted?, what it carries. Which topics exist is the stages' business (their
#: specs name the topics they read and write; ``topics create`` takes the union).
TOPICS: dict[str, tuple[bool, str]] = {
    "raw": (False, "RawArticle: what the feed said"),
    "normalized": (False, "NormalizedArticle: one message per distinct version"),
    "corrections": (False, "CorrectionEvent (CloudEvents binary mode)"),
    "dlq": (False, "messages a stage could not process, with the reason in headers"),
    "detector_state": (True, "detector state changelog, keyed by article id"),
    "titles": (True, "title index: publisher + normalized title -> article id"),
    "page_schedule": (True, "article page revisit schedule"),
    "normalizer_state": (True, "normalizer repeat filter: article id -> fingerprint of the version last emitted"),
}


def topic_specs(config: Config, fields: Iterable[str] | None = None) -> list[TopicSpec]:
    """The topics named by ``fields`` (Topics field names; default every one), in table order."""
    wanted = set(TOPICS if fields is None else fields)
    unknown = wanted - set(TOPICS)
    if unknown:
        raise ValueError(f"no such topics: {sorted(unknown)}")
    return [
        TopicSpec(getattr(config.topics, name), compacted, purpose)
        for name, (compacted, purpose) in TOPICS.items()
        if name in wanted
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


def create_topics(config: Config, fields: Iterable[str] | None = None) -> list[tuple[TopicSpec, bool]]:
    """Create missing topics (``fields`` as in :func:`topic_specs`); return each spec with True when
    it was created now."""
    admin = make_admin(config.kafka)
    try:
        existing = set(admin.list_topics())
        results: list[tuple[TopicSpec, bool]] = []
        for spec in topic_specs(config, fields):
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
