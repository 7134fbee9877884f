"""`topics list` and `topics describe` on a real broker: partitions, messages, each group's lag."""

from __future__ import annotations

import subprocess
import sys

import orjson
import pytest
from kafka import TopicPartition
from kafka.structs import OffsetAndMetadata

from newsstream.config import Config
from newsstream.kafka_clients import make_consumer, make_producer
from newsstream.topics import create_topics
from tests.integration.helpers import stage_env

pytestmark = pytest.mark.integration


def _cli(config: Config, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "newsstream.cli", "topics", *args],
        env=stage_env(config), capture_output=True, text=True, timeout=120,
    )  # fmt: skip


def test_list_and_describe_with_lag(kafka_config: Config) -> None:
    config = kafka_config
    create_topics(config, ["raw", "normalized"])
    producer = make_producer(config.kafka)
    for partition in (0, 0, 0, 1):
        producer.send(config.topics.raw, b"{}", key=b"k", partition=partition)
    producer.flush(10)
    producer.close()
    group = f"lag-check-{config.topics.raw.rsplit('.', 1)[1]}"
    consumer = make_consumer(config.kafka, group, enable_auto_commit=False)
    consumer.commit({TopicPartition(config.topics.raw, 0): OffsetAndMetadata(1, "", -1)})  # read 1 of 3
    consumer.close()

    listed = _cli(config, "list", "--json")
    assert listed.returncode == 0, listed.stderr
    rows = {r["topic"]: r for r in map(orjson.loads, listed.stdout.splitlines())}
    assert (rows[config.topics.raw]["exists"], rows[config.topics.raw]["partitions"]) == (True, 3)
    assert rows[config.topics.raw]["messages"] == 4
    assert rows[config.topics.normalized]["messages"] == 0
    assert rows[config.topics.corrections]["exists"] is False

    described = _cli(config, "describe", "raw", "--json")
    assert described.returncode == 0, described.stderr
    info = orjson.loads(described.stdout)
    assert [p["next_offset"] for p in info["partitions"]] == [3, 1, 0]
    assert info["groups"][group] == {"committed": {"0": 1}, "lag": {"0": 2}, "total_lag": 2}

    text = _cli(config, "describe", "raw")
    assert f"group {group}: lag 2  (p0=2)" in text.stdout


def test_list_the_topics_of_the_last_demo_run(kafka_config: Config) -> None:
    from newsstream.cli import _runs

    create_topics(kafka_config, ["raw"])
    _runs.write_record(kafka_config.state_dir, "20000101-000000-abcd", kafka_config.kafka.bootstrap_servers,
                       kafka_config.topics)  # fmt: skip
    env = {**stage_env(kafka_config), "KAFKA_BOOTSTRAP_SERVERS": "127.0.0.1:1"}  # the broker comes from the record
    for name in [k for k in env if k.startswith("NEWSSTREAM_TOPIC_")]:
        del env[name]  # and so do the topic names
    listed = subprocess.run(
        [sys.executable, "-m", "newsstream.cli", "topics", "list", "--run", "last", "--json"],
        env=env, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert listed.returncode == 0, listed.stderr
    rows = {r["topic"]: r for r in map(orjson.loads, listed.stdout.splitlines())}
    assert rows[kafka_config.topics.raw]["exists"] is True
