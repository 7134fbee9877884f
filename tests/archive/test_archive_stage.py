"""``newsstream archive`` as a process on the real broker, on SQLite and on PostgreSQL (same tests).

Exactly-once across SIGKILL: the stage is killed three times while it writes and restarted; at
every kill the database's stored offsets and its rows agree (every new version and event below a
stored offset is there, none above it), and at the end the rows are exactly the distinct inputs.
"""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time
import urllib.request
import uuid
from pathlib import Path
from typing import Any

import psycopg
import pytest
from kafka.admin import NewTopic

from consumers.archive.store import open_store
from newsstream import codec
from newsstream.config import KafkaSettings
from newsstream.kafka_clients import make_admin, make_producer
from newsstream.messages import headers_for
from tests.archive.conftest import free_port
from tests.archive.pipeline_data import Message, synthetic

pytestmark = pytest.mark.integration
SCHEMAS = {"article": "normalized-article", "event": "correction-event"}


class Topics:
    def __init__(self) -> None:
        suffix = uuid.uuid4().hex[:10]
        self.normalized = f"news.normalized.v1.a{suffix}"
        self.corrections = f"news.corrections.v1.a{suffix}"
        self.dlq = f"news.dlq.v1.a{suffix}"
        self.group = f"newsstream-archive-{suffix}"


def create(bootstrap: str, topics: Topics, partitions: int = 3) -> None:
    admin = make_admin(KafkaSettings(bootstrap_servers=bootstrap))
    try:
        admin.create_topics([NewTopic(t, partitions, 1) for t in (topics.normalized, topics.corrections, topics.dlq)])
    finally:
        admin.close()


def produce(bootstrap: str, topics: Topics, messages: list[Message], bad: bytes) -> tuple[list[Any], Any]:
    """Send in order, then one undecodable record; return (kind, message, metadata) per message, and
    the bad record's metadata."""
    producer = make_producer(KafkaSettings(bootstrap_servers=bootstrap))
    futures = []
    for kind, message in messages:
        topic = topics.normalized if kind == "article" else topics.corrections
        key = str(message["id"] if kind == "article" else message["article_id"]).encode()
        futures.append(
            (
                kind,
                message,
                producer.send(topic, key=key, value=codec.dumps(message), headers=headers_for(SCHEMAS[kind])),
            )
        )
    bad_future = producer.send(topics.normalized, key=b"bad", value=bad)  # to the DLQ; must not stop the stage
    producer.flush()
    sent = [(kind, message, future.get(timeout=30)) for kind, message, future in futures]
    producer.close()
    return sent, bad_future.get(timeout=30)


def start(bootstrap: str, topics: Topics, dsn: str, state: Path, port: int, log: Path) -> subprocess.Popen[bytes]:
    env = {
        **os.environ,
        "KAFKA_BOOTSTRAP_SERVERS": bootstrap,
        "NEWSSTREAM_TOPIC_NORMALIZED": topics.normalized,
        "NEWSSTREAM_TOPIC_CORRECTIONS": topics.corrections,
        "NEWSSTREAM_TOPIC_DLQ": topics.dlq,
        "NEWSSTREAM_STATE_DIR": str(state),
        "NEWSSTREAM_ARCHIVE_DSN": dsn,
        "NEWSSTREAM_METRICS_PORT": str(port),
        "NEWSSTREAM_METRICS_HOST": "127.0.0.1",
        "NEWSSTREAM_LOG_FORMAT": "console",
    }
    out = log.open("ab")
    command = [sys.executable, "-m", "newsstream.cli", "archive", "--max-batch", "25", "--group", topics.group]
    return subprocess.Popen(command, env=env, stdout=out, stderr=out)


def stored_rows(dsn: str, group: str) -> tuple[set[tuple[int, int]], set[tuple[int, int]], dict[tuple[str, int], int]]:
    """(partition, offset) of every version row and every event row, and the group's stored offsets."""
    store = open_store(dsn, readonly=True)
    try:
        versions = {
            (r["src_partition"], r["src_offset"]) for r in store.query("SELECT src_partition, src_offset FROM versions")
        }
        events = {
            (r["src_partition"], r["src_offset"]) for r in store.query("SELECT src_partition, src_offset FROM events")
        }
        offsets = store.load_offsets(group)
    except (sqlite3.OperationalError, psycopg.errors.UndefinedTable):  # before the first migration: no tables yet
        return set(), set(), {}
    finally:
        store.close()
    return versions, events, offsets


def expected_rows(sent: list[tuple[str, Any, Any]]) -> tuple[set[tuple[int, int]], set[tuple[int, int]]]:
    """The inputs that must become rows: versions with new content, events with a new id."""
    versions: set[tuple[int, int]] = set()
    events: set[tuple[int, int]] = set()
    last: dict[str, str] = {}
    ids: set[str] = set()
    for kind, message, meta in sent:
        if kind == "article":
            if last.get(message["id"]) != message["content_hash"]:
                versions.add((meta.partition, meta.offset))
            last[message["id"]] = message["content_hash"]
        elif message["event_id"] not in ids:
            ids.add(message["event_id"])
            events.add((meta.partition, meta.offset))
    return versions, events


def below(rows: set[tuple[int, int]], topic: str, offsets: dict[tuple[str, int], int]) -> set[tuple[int, int]]:
    return {(p, o) for p, o in rows if o < offsets.get((topic, p), 0)}


def test_exactly_once_across_sigkill_and_restart(kafka_bootstrap: str, archive_dsn: str, tmp_path: Path) -> None:
    topics = Topics()
    create(kafka_bootstrap, topics)
    messages = synthetic(400, versions=3)
    sent, bad = produce(kafka_bootstrap, topics, messages, b"not json {")
    want_versions, want_events = expected_rows(sent)
    assert len(want_versions) == 1200 and len(sent) - len(want_versions) - len(want_events) > 100  # repeats exist
    port = free_port()
    log = tmp_path / "archive.log"
    kills = 0
    previous = 0
    while kills < 3:
        process = start(kafka_bootstrap, topics, archive_dsn, tmp_path / "state", port, log)
        try:
            deadline = time.monotonic() + 120
            while time.monotonic() < deadline:  # kill as soon as this incarnation has written something
                versions, _, _ = stored_rows(archive_dsn, topics.group)
                if len(versions) > previous:
                    break
                assert process.poll() is None, log.read_text()[-3000:]
                time.sleep(0.01)
            else:
                raise AssertionError(f"no progress after restart {kills}:\n{log.read_text()[-3000:]}")
        finally:
            process.send_signal(signal.SIGKILL)
            process.wait(timeout=30)
        kills += 1
        versions, events, offsets = stored_rows(archive_dsn, topics.group)
        # Atomicity: rows and offsets were committed together, so they agree exactly.
        assert versions == below(want_versions, topics.normalized, offsets)
        assert events == below(want_events, topics.corrections, offsets)
        previous = len(versions)
        if previous == len(want_versions):
            break
    assert kills >= 2, "the archive finished before it could be killed twice; raise the input size"

    process = start(kafka_bootstrap, topics, archive_dsn, tmp_path / "state", port, log)
    try:
        deadline = time.monotonic() + 180
        while time.monotonic() < deadline:
            versions, events, offsets = stored_rows(archive_dsn, topics.group)
            if versions == want_versions and events == want_events:
                break
            assert process.poll() is None, log.read_text()[-3000:]
            time.sleep(0.2)
        metrics = urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5).read().decode()  # noqa: S310
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=30) == 0
    finally:
        if process.poll() is None:
            process.kill()
    versions, events, offsets = stored_rows(archive_dsn, topics.group)
    assert versions == want_versions and events == want_events
    store = open_store(archive_dsn, readonly=True)
    counts = store.counts()
    per_article = store.query("SELECT article_id, COUNT(*) AS n, MAX(version) AS m FROM versions GROUP BY article_id")
    store.close()
    assert counts == {"articles": 400, "versions": 1200, "events": len(want_events)}
    assert all(r["n"] == r["m"] == 3 for r in per_article)  # numbered 1..3, no gap, no duplicate
    # The stored offsets are the end offsets: every record was consumed, the undecodable one included.
    ends: dict[tuple[str, int], int] = {}
    for kind, _, meta in [*sent, ("article", None, bad)]:
        key = (topics.normalized if kind == "article" else topics.corrections, meta.partition)
        ends[key] = max(ends.get(key, 0), meta.offset + 1)
    assert offsets == ends
    assert "newsstream_archive_batch_seconds_count" in metrics
    assert 'newsstream_archive_rows_written_total{table="versions"}' in metrics
    assert kills >= 2
