"""Shared fixtures: the real Kafka broker, unique topics, and the shared corpus location."""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from devtools import kafka as devkafka
from newsstream.config import Config, KafkaSettings

REPO = Path(__file__).resolve().parents[1]
CORPUS = Path(os.environ.get("NEWSSTREAM_CORPUS", REPO.parent / "shared" / "corpus"))


def corpus_path(*parts: str) -> Path:
    """A path in the shared corpus, skipping the test with a reason when the corpus is absent."""
    path = CORPUS.joinpath(*parts)
    if not path.exists():
        pytest.skip(f"shared corpus not found at {path} (set NEWSSTREAM_CORPUS to its folder)")
    return path


@pytest.fixture(scope="session")
def kafka_bootstrap() -> Iterator[str]:
    """A broker that answers: KAFKA_BOOTSTRAP_SERVERS if one does, else the local dev broker."""
    bootstrap = os.environ.get("KAFKA_BOOTSTRAP_SERVERS", "127.0.0.1:9092")
    if devkafka.answers(bootstrap):
        yield bootstrap
        return
    started_bootstrap, started = devkafka.up()
    yield started_bootstrap
    if started:
        devkafka.down()


@pytest.fixture
def kafka_config(kafka_bootstrap: str, tmp_path: Path) -> Config:
    """A Config pointing at the test broker, with per-test unique topic names and state dir."""
    suffix = uuid.uuid4().hex[:8]
    base = Config()
    topics = type(base.topics)(**{k: f"{v}.t{suffix}" for k, v in vars(base.topics).items()})
    return base.with_overrides(
        kafka=KafkaSettings(bootstrap_servers=kafka_bootstrap),
        topics=topics,
        state_dir=tmp_path / "state",
        allow_private_addresses=True,
    )


@pytest.fixture
def new_topic(kafka_bootstrap: str) -> Iterator[Callable[..., str]]:
    """Factory: create a uniquely named topic and return its name; deleted after the test."""
    from kafka.admin import NewTopic

    from newsstream.kafka_clients import make_admin

    admin = make_admin(KafkaSettings(bootstrap_servers=kafka_bootstrap))
    created: list[str] = []

    def make(prefix: str = "test", partitions: int = 1, **configs: str) -> str:
        name = f"{prefix}.{uuid.uuid4().hex[:10]}"
        admin.create_topics([NewTopic(name, partitions, 1, topic_configs=configs)])
        created.append(name)
        return name

    yield make
    if created:
        try:
            admin.delete_topics(created)
        except Exception:  # noqa: BLE001, S110 - cleanup is best effort
            pass
    admin.close()
