"""Messages written by kafka-python are read intact by non-Python clients: kcat and Kafka's console consumer."""

from __future__ import annotations

import shutil
import subprocess
import sys
from collections.abc import Callable

import pytest

from newsstream import codec
from newsstream.config import KafkaSettings
from newsstream.kafka_clients import make_producer

pytestmark = pytest.mark.integration
MESSAGE = {"title": "Überschrift — «quoted»", "n": 42, "nested": {"ok": True}}


def produce_one(bootstrap: str, topic: str) -> None:
    producer = make_producer(KafkaSettings(bootstrap_servers=bootstrap))
    producer.send(
        topic,
        key=b"article-1",
        value=codec.dumps(MESSAGE),
        headers=[("content-type", b"application/json"), ("schema", b"urn:test:v1")],
    )
    producer.flush()
    producer.close()


def test_kcat_reads_key_value_and_headers(kafka_bootstrap: str, new_topic: Callable[..., str]) -> None:
    kcat = shutil.which("kcat")
    if kcat is None:
        pytest.skip("kcat is not installed (.ci/run installs Debian's kcat)")
    topic = new_topic("interop")
    produce_one(kafka_bootstrap, topic)
    result = subprocess.run(
        [
            kcat,
            "-C",
            "-b",
            kafka_bootstrap,
            "-t",
            topic,
            "-o",
            "beginning",
            "-e",
            "-c",
            "1",
            "-X",
            "isolation.level=read_committed",
            "-f",
            "%k\\n%h\\n%s\\n",
        ],
        capture_output=True,
        timeout=30,
    )
    assert result.returncode == 0, result.stderr
    key, headers, value = result.stdout.decode().split("\n")[:3]
    assert key == "article-1"
    assert "content-type=application/json" in headers and "schema=urn:test:v1" in headers
    assert codec.loads(value) == MESSAGE


def test_kafka_console_consumer_reads_key_value_and_headers(
    kafka_bootstrap: str, new_topic: Callable[..., str]
) -> None:
    topic = new_topic("interop")
    produce_one(kafka_bootstrap, topic)
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "newsstream.cli",
            "dev",
            "kafka",
            "tool",
            "kafka-console-consumer",
            "--bootstrap-server",
            kafka_bootstrap,
            "--topic",
            topic,
            "--from-beginning",
            "--max-messages",
            "1",
            "--formatter-property",
            "print.key=true",
            "--formatter-property",
            "print.headers=true",
            "--formatter-property",
            "key.separator=|",
            "--formatter-property",
            "headers.separator=,",
        ],
        capture_output=True,
        timeout=90,
    )
    assert result.returncode == 0, result.stderr.decode()
    line = result.stdout.decode("utf-8").strip().splitlines()[0]
    headers, key, value = line.split("|", 2)
    assert key == "article-1"
    assert "content-type:application/json" in headers and "schema:urn:test:v1" in headers
    assert codec.loads(value) == MESSAGE
