"""`newsstream topics create`: idempotent, and the state topics are compacted."""

from __future__ import annotations

import subprocess
import sys

import pytest
from kafka.admin import ConfigResource, ConfigResourceType

from newsstream.config import Config
from newsstream.kafka_clients import make_admin
from tests.integration.helpers import stage_env

pytestmark = pytest.mark.integration


def run_create(config: Config) -> subprocess.CompletedProcess[str]:
    env = stage_env(config, NEWSSTREAM_PARTITIONS="2")
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
