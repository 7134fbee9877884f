"""`newsstream topics create`: idempotent, and the state topics are compacted."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
from kafka.admin import ConfigResource, ConfigResourceType

from newsstream.config import Config
from newsstream.kafka_clients import make_admin

pytestmark = pytest.mark.integration


def run_create(config: Config) -> subprocess.CompletedProcess[str]:
    t = config.topics
    env = {
        **os.environ,
        "KAFKA_BOOTSTRAP_SERVERS": config.kafka.bootstrap_servers,
        "NEWSSTREAM_TOPIC_RAW": t.raw,
        "NEWSSTREAM_TOPIC_NORMALIZED": t.normalized,
        "NEWSSTREAM_TOPIC_CORRECTIONS": t.corrections,
        "NEWSSTREAM_TOPIC_DLQ": t.dlq,
        "NEWSSTREAM_TOPIC_DETECTOR_STATE": t.detector_state,
        "NEWSSTREAM_TOPIC_TITLES": t.titles,
        "NEWSSTREAM_TOPIC_PRODUCER_STATE": t.producer_state,
        "NEWSSTREAM_TOPIC_PAGE_SCHEDULE": t.page_schedule,
        "NEWSSTREAM_PARTITIONS": "2",
    }
    return subprocess.run(
        [sys.executable, "-m", "newsstream.cli", "topics", "create"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_create_twice_then_read_back_compaction(kafka_config: Config) -> None:
    first = run_create(kafka_config)
    assert first.returncode == 0, first.stderr
    assert first.stdout.count("created") == 8
    second = run_create(kafka_config)
    assert second.returncode == 0, second.stderr
    assert "created" not in second.stdout and second.stdout.count("exists") == 8

    admin = make_admin(kafka_config.kafka)
    try:
        t = kafka_config.topics
        resources = [ConfigResource(ConfigResourceType.TOPIC, name) for name in (t.detector_state, t.titles, t.raw)]
        described = admin.describe_configs(resources)["topic"]
        policies = {name: entries["cleanup.policy"]["value"] for name, entries in described.items()}
        assert policies == {t.detector_state: "compact", t.titles: "compact", t.raw: "delete"}
        partitions = {m["name"]: len(m["partitions"]) for m in admin.describe_topics([t.raw])}
        assert partitions == {t.raw: 2}
    finally:
        admin.delete_topics(list(vars(kafka_config.topics).values()))
        admin.close()
