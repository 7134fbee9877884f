"""The consumer guide's promises, on a real broker: a CloudEvents correction event written in a
transaction is read and validated by the example consumer (examples/consumer/) and shown by
``newsstream tail``; a message of an aborted transaction is seen by neither (read_committed)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import uuid
from collections.abc import Callable
from pathlib import Path

import pytest

import schemas
from newsstream.config import KafkaSettings
from newsstream.kafka_clients import make_producer

pytestmark = pytest.mark.integration

REPO = Path(__file__).resolve().parents[2]
EXAMPLE = REPO / "examples" / "consumer" / "consume_corrections.py"

EVENT = {
    "event_id": "5f0c2f3a9d7b4c1e8a6b0d2e4f6a8c1b",
    "type": "correction",
    "article_id": "a1b2c3d4e5f60718",
    "version": 2,
    "detected_at": "2023-11-05T20:35:00Z",
    "title": "Iraqi militia claims to target US forces in Syria",
    "url": "https://example.org/news/iraqi-militia-claims",
    "publisher": "Example News",
    "language": "en",
    "evidence": {
        "method": "notice",
        "notice_text": 'CORRECTION: This corrects a previous piece titled "US downs Turkish drone in northeast '
        'Syria: War monitor" after the original source retracted its story.',
        "span": [120, 262],
        "field": "body_text",
        "cue": "CORRECTION:",
    },
    "previous": {"title": "Iraqi militia claims to target US forces in Syria", "content_hash": "ab12", "version": 1},
    "diff": None,
    "referenced_article": {
        "title": "US downs Turkish drone in northeast Syria: War monitor",
        "article_id": "0f1e2d3c4b5a6978",
        "score": 0.97,
    },
}


def ce_headers(event: dict[str, object]) -> list[tuple[str, bytes]]:
    """CloudEvents Kafka binding, binary mode, as docs/consuming.md describes it."""
    schema_id = schemas.schema_id("correction-event").encode()
    return [
        ("ce_specversion", b"1.0"),
        ("ce_id", str(event["event_id"]).encode()),
        ("ce_source", b"newsstream/detect-corrections"),
        ("ce_type", f"news.article.{event['type']}".encode()),
        ("ce_time", str(event["detected_at"]).encode()),
        ("ce_subject", str(event["article_id"]).encode()),
        ("ce_dataschema", schema_id),
        ("content-type", b"application/json"),
        ("schema", schema_id),
    ]


@pytest.fixture
def corrections_topic(kafka_bootstrap: str, new_topic: Callable[..., str]) -> str:
    """A fresh topic holding: an aborted event, a committed non-event, a committed valid event."""
    schemas.validate("correction-event", EVENT)  # the test message itself follows the contract
    topic = new_topic("corrections", partitions=1)
    producer = make_producer(
        KafkaSettings(bootstrap_servers=kafka_bootstrap), transactional_id=f"test-tail-{uuid.uuid4().hex}"
    )
    try:
        producer.init_transactions()
        aborted = {**EVENT, "title": "ABORTED must never be read", "event_id": "0" * 32}
        producer.begin_transaction()
        producer.send(topic, key=b"aborted-id", value=json.dumps(aborted).encode(), headers=ce_headers(aborted))
        producer.flush()
        producer.abort_transaction()

        producer.begin_transaction()
        producer.send(topic, key=b"not-an-event", value=b'{"hello": "no CloudEvents headers"}')
        key = str(EVENT["article_id"]).encode()
        producer.send(topic, key=key, value=json.dumps(EVENT).encode(), headers=ce_headers(EVENT))
        producer.commit_transaction()
    finally:
        producer.close()
    return topic


def run(args: list[str], bootstrap: str, timeout: float = 90) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "KAFKA_BOOTSTRAP_SERVERS": bootstrap, "NEWSSTREAM_LOG_FORMAT": "json"}
    return subprocess.run(args, env=env, cwd=REPO, capture_output=True, text=True, timeout=timeout, check=False)


def test_example_consumer_reads_and_validates_the_committed_event(kafka_bootstrap: str, corrections_topic: str) -> None:
    result = run(
        [sys.executable, str(EXAMPLE), "--bootstrap-servers", kafka_bootstrap, "--topic", corrections_topic,
         "--group", f"example-{uuid.uuid4().hex[:8]}", "--from-beginning", "--max", "1", "--timeout", "20"],
        kafka_bootstrap,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    lines = [json.loads(line) for line in result.stdout.splitlines() if line.strip()]
    assert len(lines) == 1, result.stdout
    (out,) = lines
    assert out["key"] == EVENT["article_id"]
    assert out["data"] == EVENT
    assert out["ce"]["type"] == "news.article.correction"
    assert out["ce"]["id"] == EVENT["event_id"]
    assert out["ce"]["subject"] == EVENT["article_id"]
    assert out["ce"]["specversion"] == "1.0"
    assert "skipped" in result.stderr and "missing headers" in result.stderr  # the non-event, reported
    assert "ABORTED" not in result.stdout + result.stderr  # read_committed


def test_example_consumer_rejects_an_event_that_breaks_the_schema(
    kafka_bootstrap: str, new_topic: Callable[..., str]
) -> None:
    topic = new_topic("corrections", partitions=1)
    broken = {**EVENT, "type": "typo"}
    producer = make_producer(KafkaSettings(bootstrap_servers=kafka_bootstrap))
    producer.send(topic, key=b"k", value=json.dumps(broken).encode(), headers=ce_headers(broken))
    producer.send(topic, key=b"k", value=json.dumps(EVENT).encode(), headers=ce_headers(EVENT))
    producer.flush()
    producer.close()
    result = run(
        [sys.executable, str(EXAMPLE), "--bootstrap-servers", kafka_bootstrap, "--topic", topic,
         "--group", f"example-{uuid.uuid4().hex[:8]}", "--from-beginning", "--max", "1", "--timeout", "20"],
        kafka_bootstrap,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert "correction-event invalid at type" in result.stderr
    assert [json.loads(line)["data"]["type"] for line in result.stdout.splitlines()] == ["correction"]


def test_tail_pretty_prints_the_correction_with_its_cloudevent_headers(
    kafka_bootstrap: str, corrections_topic: str
) -> None:
    result = run(
        [sys.executable, "-m", "newsstream.cli", "tail", corrections_topic, "--from-beginning",
         "--type", "correction", "--max", "1", "--timeout", "20"],
        kafka_bootstrap,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert f"{corrections_topic}[0]@" in out
    assert f"key={EVENT['article_id']}" in out
    assert "CloudEvent: specversion=1.0" in out
    assert "type=news.article.correction" in out
    assert f"subject={EVENT['article_id']}" in out
    assert "CORRECTION  v2  Iraqi militia claims to target US forces in Syria" in out
    assert "refers to: 'US downs Turkish drone in northeast Syria: War monitor' -> 0f1e2d3c4b5a6978" in out
    assert "ABORTED" not in out
    assert "not-an-event" not in out  # filtered out by --type
    assert "1 message(s)" in result.stderr


def test_tail_shows_every_committed_message_and_stops_when_idle(kafka_bootstrap: str, corrections_topic: str) -> None:
    result = run(
        [sys.executable, "-m", "newsstream.cli", "tail", corrections_topic, "--from-beginning", "--timeout", "5"],
        kafka_bootstrap,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert result.stdout.count("━━ ") == 2, result.stdout
    assert "key=not-an-event" in result.stdout
    assert '"hello": "no CloudEvents headers"' in result.stdout
    assert "ABORTED" not in result.stdout
    assert "2 message(s)" in result.stderr


def test_tail_names_a_missing_topic(kafka_bootstrap: str) -> None:
    missing = f"no.such.topic.{uuid.uuid4().hex[:8]}"
    result = run([sys.executable, "-m", "newsstream.cli", "tail", missing, "--timeout", "1"], kafka_bootstrap)
    assert result.returncode == 2
    assert f"topic '{missing}' does not exist" in result.stderr


def test_kcat_reads_the_event_with_its_headers_as_the_guide_says(kafka_bootstrap: str, corrections_topic: str) -> None:
    """docs/consuming.md's kcat command, verbatim but for the topic: a non-Python reader."""
    kcat = shutil.which("kcat")
    if kcat is None:
        if os.environ.get("CI"):
            pytest.fail("kcat is not installed; .ci/run installs it")
        pytest.skip("kcat not installed (apt-get install kcat)")
    result = run(
        [kcat, "-C", "-b", kafka_bootstrap, "-t", corrections_topic, "-X", "isolation.level=read_committed",
         "-o", "beginning", "-e", "-q", "-f", "%k %h %s\\n"],
        kafka_bootstrap,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert len(lines) == 2, result.stdout  # the aborted message is not among them
    key, headers, value = lines[1].split(" ", 2)
    assert key == EVENT["article_id"]
    assert "ce_type=news.article.correction" in headers.split(",")
    assert json.loads(value) == EVENT
