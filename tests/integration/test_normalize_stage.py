"""The normalizer stage on the real broker: exactly-once under SIGKILL and rebalance, DLQ for bad input."""

from __future__ import annotations

import signal
import subprocess
import time
import uuid
from pathlib import Path

import pytest

import schemas
from newsstream import codec
from newsstream.config import Config
from newsstream.topics import create_topics
from tests.integration.helpers import raw_article, read_committed, send_raw, start_stage, wait_http

pytestmark = pytest.mark.integration


def normalizer(
    config: Config, tmp_path: Path, port: int, name: str, group: str, workers: int = 1
) -> subprocess.Popen[bytes]:
    command = ["normalize", "--group", group, "--instance-id", name, "--max-batch", "20", "--workers", str(workers)]
    return start_stage(config, command, tmp_path / f"{name}.log", port)


def ids_of(records: list) -> list[str]:
    return [codec.loads(r.value)["id"] for r in records]


@pytest.mark.parametrize("workers", [1, 2], ids=["in-process", "2-worker-processes"])
def test_bad_messages_go_to_the_dlq_and_the_stage_keeps_going(
    kafka_config: Config, tmp_path: Path, workers: int
) -> None:
    create_topics(kafka_config)
    articles = [raw_article(i) for i in range(10)]
    invalid = raw_article(99)
    del invalid["entry"]
    send_raw(
        kafka_config,
        articles[:5],
        extra=[
            (b"not-json", b"\x89PNG not json"),
            (b"schema", codec.dumps(invalid)),
            (b"huge", b'{"x":"' + b"a" * (3 * 1024 * 1024) + b'"}'),
        ],
    )
    send_raw(kafka_config, articles[5:])
    stage = normalizer(kafka_config, tmp_path, 19702, "dlq-1", f"g-{uuid.uuid4().hex[:6]}", workers)
    try:
        normalized = read_committed(kafka_config, kafka_config.topics.normalized, 10)
        dead = read_committed(kafka_config, kafka_config.topics.dlq, 3)
        wait_http("http://127.0.0.1:19702/readyz")
        metrics = subprocess.run(["curl", "-s", "http://127.0.0.1:19702/metrics"], capture_output=True, text=True)
    finally:
        stage.send_signal(signal.SIGTERM)
        assert stage.wait(15) == 0, "SIGTERM must finish the batch and exit 0 within 10 s"
    assert sorted(ids_of(normalized)) == sorted(a["article_id"] for a in articles)
    for record in normalized:
        schemas.validate("normalized-article", codec.loads(record.value))
        assert dict(record.headers)["schema"] == schemas.schema_id("normalized-article").encode()
    by_key = {r.key: dict(r.headers) for r in dead}
    assert by_key[b"not-json"]["error.reason"] == b"decode"
    assert by_key[b"schema"]["error.reason"] == b"schema"
    assert by_key[b"huge"]["error.reason"] == b"too_large"
    assert all(
        h["stage"] == b"normalize" and h["source.topic"] == kafka_config.topics.raw.encode() for h in by_key.values()
    )
    assert 'newsstream_dlq_messages_total{reason="decode",stage="normalize"} 1.0' in metrics.stdout


def test_sigkill_mid_stream_then_restart_loses_and_duplicates_nothing(kafka_config: Config, tmp_path: Path) -> None:
    create_topics(kafka_config)
    group = f"g-{uuid.uuid4().hex[:6]}"
    articles = [raw_article(i) for i in range(600)]
    send_raw(kafka_config, articles[:300])
    stage = normalizer(kafka_config, tmp_path, 19703, "kill-1", group)
    wait_http("http://127.0.0.1:19703/readyz")
    send_raw(kafka_config, articles[300:])
    time.sleep(0.5)
    stage.send_signal(signal.SIGKILL)
    stage.wait(10)
    restarted = normalizer(kafka_config, tmp_path, 19703, "kill-1", group)
    try:
        records = read_committed(kafka_config, kafka_config.topics.normalized, 600, timeout_s=120, quiet_s=4)
    finally:
        restarted.send_signal(signal.SIGTERM)
        restarted.wait(15)
    ids = ids_of(records)
    assert len(ids) == 600, f"expected exactly 600 committed outputs, got {len(ids)} ({len(set(ids))} distinct)"
    assert set(ids) == {a["article_id"] for a in articles}


def test_two_instances_split_partitions_and_a_rebalance_loses_nothing(kafka_config: Config, tmp_path: Path) -> None:
    create_topics(kafka_config)
    group = f"g-{uuid.uuid4().hex[:6]}"
    articles = [raw_article(i) for i in range(900)]
    first = normalizer(kafka_config, tmp_path, 19704, "reb-1", group)
    wait_http("http://127.0.0.1:19704/readyz")
    send_raw(kafka_config, articles[:300])
    second = normalizer(kafka_config, tmp_path, 19705, "reb-2", group)
    send_raw(kafka_config, articles[300:600])
    wait_http("http://127.0.0.1:19705/readyz")
    second.send_signal(signal.SIGTERM)  # a second rebalance, mid-stream
    send_raw(kafka_config, articles[600:])
    try:
        records = read_committed(kafka_config, kafka_config.topics.normalized, 900, timeout_s=120, quiet_s=4)
    finally:
        for process in (first, second):
            process.send_signal(signal.SIGTERM)
            process.wait(15)
    ids = ids_of(records)
    assert len(ids) == 900 and set(ids) == {a["article_id"] for a in articles}
    consumed = {p for p in (tmp_path / "reb-2.log").read_text().splitlines() if "partitions assigned" in p}
    assert consumed, "the second instance never received partitions"


def test_a_repeated_version_is_dropped_also_after_a_restart_but_a_revert_is_kept(
    kafka_config: Config, tmp_path: Path
) -> None:
    create_topics(kafka_config)
    group = f"g-{uuid.uuid4().hex[:6]}"
    first = raw_article(7, paragraphs=["The ferry leaves at nine.", "Tickets are sold on board."])
    edited = raw_article(7, paragraphs=["The ferry leaves at ten.", "Tickets are sold on board."])
    stage = normalizer(kafka_config, tmp_path, 19706, "rep-1", group)
    wait_http("http://127.0.0.1:19706/readyz")
    # A producer crash re-sends what Kafka already had: A, A (repeat), B, A (a revert: a new version).
    send_raw(kafka_config, [first, first, edited, first])
    versions = read_committed(kafka_config, kafka_config.topics.normalized, 3)
    stage.send_signal(signal.SIGTERM)
    assert stage.wait(15) == 0
    hashes = [codec.loads(r.value)["content_hash"] for r in versions]
    assert len(hashes) == 3 and hashes[0] == hashes[2] != hashes[1], "repeat dropped, revert kept"

    restarted = normalizer(kafka_config, tmp_path, 19706, "rep-1", group)
    try:
        wait_http("http://127.0.0.1:19706/readyz")
        send_raw(kafka_config, [first])  # the same version again, after a restart
        again = read_committed(kafka_config, kafka_config.topics.normalized, 4, timeout_s=10, quiet_s=3)
    finally:
        restarted.send_signal(signal.SIGTERM)
        restarted.wait(15)
    assert len(again) == 3, "the memory of emitted versions must survive a restart"
