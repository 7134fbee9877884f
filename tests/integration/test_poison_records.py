"""Issue 14: poison records written into uuid topics never stop a stage (failures 1, 2 and 5).

Each test proves: the bad record is in the DLQ with its reason (or handled as data), every good
record behind it is delivered once (``read_committed`` count), and the stage process still runs.
"""

from __future__ import annotations

import signal
import subprocess
import threading
import uuid
from collections.abc import Callable
from pathlib import Path

import pytest
from kafka import TopicPartition

from newsstream import codec
from newsstream.config import Config
from newsstream.kafka_clients import make_producer
from newsstream.runner import Output, Runner, RunnerOptions, StageBase
from newsstream.shutdown import Shutdown
from newsstream.topics import create_topics
from tests.integration.helpers import raw_article, read_committed, send_raw, start_stage, wait_http

pytestmark = pytest.mark.integration


def normalizer(config: Config, tmp_path: Path, port: int) -> subprocess.Popen[bytes]:
    group = f"g-{uuid.uuid4().hex[:6]}"
    command = ["normalize", "--group", group, "--instance-id", uuid.uuid4().hex[:6], "--max-batch", "20"]
    return start_stage(config, command, tmp_path / "normalize.log", port)


def stop(stage: subprocess.Popen[bytes]) -> None:
    stage.send_signal(signal.SIGTERM)
    assert stage.wait(15) == 0, "SIGTERM must finish the batch and exit 0"


def test_failure_1_an_overflowing_date_does_not_stop_the_normalizer(kafka_config: Config, tmp_path: Path) -> None:
    create_topics(kafka_config)
    good = [raw_article(i) for i in range(6)]
    late, early = raw_article(100), raw_article(101)
    late["entry"]["published"] = {"raw": "9999-12-31T23:59:59-01:00", "utc": None}
    early["entry"]["updated"] = {"raw": "0001-01-01T00:00:00+01:00", "utc": None}
    send_raw(kafka_config, [*good[:3], late, early, *good[3:]])
    stage = normalizer(kafka_config, tmp_path, 19741)
    try:
        normalized = read_committed(kafka_config, kafka_config.topics.normalized, 8)
        assert stage.poll() is None, "the normalizer exited on a date: " + (tmp_path / "normalize.log").read_text()
    finally:
        stop(stage)
    ids = sorted(codec.loads(r.value)["id"] for r in normalized)
    assert ids == sorted(a["article_id"] for a in [*good, late, early]), "each version exactly once"
    by_id = {codec.loads(r.value)["id"]: codec.loads(r.value) for r in normalized}
    # The unreadable date falls back (published_at → fetched_at), as any unreadable date does.
    assert by_id[late["article_id"]]["published_at"] == by_id[late["article_id"]]["fetched_at"]


class ExplodingStage(StageBase):
    """Echoes records; raises a plain (non-MessageError) exception on the value ``boom``."""

    name = "explode"
    stateless = True

    def __init__(self, source: str, sink: str) -> None:
        self.source, self.sink = source, sink

    def input_topics(self) -> list[str]:
        return [self.source]

    def process(self, record):  # type: ignore[no-untyped-def]
        if record.value == b"boom":
            raise OverflowError("date value out of range")
        if record.value == b"huge":
            return [Output(self.sink, record.key, b"x" * (5 * 1024 * 1024))]
        return [Output(self.sink, record.key, record.value)]

    def on_assigned(self, partitions: set[TopicPartition]) -> None: ...

    def on_revoked(self, partitions: set[TopicPartition]) -> None: ...


@pytest.mark.parametrize("workers", [1, 2], ids=["in-process", "2-worker-processes"])
def test_failure_1_any_exception_in_a_transform_is_a_dead_letter(
    kafka_config: Config, new_topic: Callable[..., str], workers: int
) -> None:
    source, sink, dlq = new_topic("in", 1), new_topic("out", 1), new_topic("dlq", 1)
    config = kafka_config.with_overrides(topics=type(kafka_config.topics)(dlq=dlq))
    producer = make_producer(config.kafka)
    for i in range(20):
        producer.send(source, key=f"k{i}".encode(), value=b"boom" if i == 7 else f"v{i}".encode())
    producer.flush()
    producer.close()
    options = RunnerOptions(group_id=f"g-{uuid.uuid4().hex[:6]}", instance_id=uuid.uuid4().hex[:6], workers=workers)
    runner = Runner(ExplodingStage(source, sink), config, options, shutdown=Shutdown())
    thread = threading.Thread(target=runner.run, kwargs={"serve_health": False}, daemon=True)
    thread.start()
    try:
        outputs = read_committed(config, sink, 19, timeout_s=60)
        dead = read_committed(config, dlq, 1, timeout_s=30)
        assert thread.is_alive(), "the runner ended on a record's exception"
    finally:
        runner.shutdown.request()
        thread.join(15)
    assert sorted(r.key for r in outputs) == sorted(f"k{i}".encode() for i in range(20) if i != 7)
    assert len(dead) == 1 and dead[0].key == b"k7" and dead[0].value == b"boom"
    headers = dict(dead[0].headers)
    assert headers["error.reason"] == b"exception"
    assert headers["error.class"] == b"OverflowError"
    assert headers["error.message"] == b"date value out of range"
    assert b"OverflowError" in headers["error.traceback"] and len(headers["error.traceback"]) <= 4096
    assert headers["source.offset"] == b"7"
    labels = {"stage": "explode", "reason": "exception"}
    assert runner.registry.get_sample_value("newsstream_dlq_messages_total", labels) == 1


def test_failure_2_an_output_over_the_request_cap_is_a_dead_letter(
    kafka_config: Config, new_topic: Callable[..., str]
) -> None:
    source, sink, dlq = new_topic("in", 1), new_topic("out", 1), new_topic("dlq", 1)
    config = kafka_config.with_overrides(topics=type(kafka_config.topics)(dlq=dlq))
    producer = make_producer(config.kafka)
    for i in range(20):
        producer.send(source, key=f"k{i}".encode(), value=b"huge" if i == 3 else f"v{i}".encode())
    producer.flush()
    producer.close()
    options = RunnerOptions(group_id=f"g-{uuid.uuid4().hex[:6]}", instance_id=uuid.uuid4().hex[:6])
    runner = Runner(ExplodingStage(source, sink), config, options, shutdown=Shutdown())
    thread = threading.Thread(target=runner.run, kwargs={"serve_health": False}, daemon=True)
    thread.start()
    try:
        outputs = read_committed(config, sink, 19, timeout_s=60)
        dead = read_committed(config, dlq, 1, timeout_s=30)
        assert thread.is_alive()
    finally:
        runner.shutdown.request()
        thread.join(15)
    assert sorted(r.key for r in outputs) == sorted(f"k{i}".encode() for i in range(20) if i != 3)
    assert len(dead) == 1 and dead[0].value == b"huge", "the DLQ holds the input, not the output"
    headers = dict(dead[0].headers)
    assert headers["error.reason"] == b"output_too_large"
    assert headers["source.topic"] == source.encode() and headers["source.offset"] == b"3"
    aborts = runner.registry.get_sample_value("newsstream_transactions_total", {"stage": "explode", "outcome": "abort"})
    assert not aborts, "an oversized output must not abort a transaction"


def test_failure_2_an_ampersand_body_normalizes_under_the_cap(kafka_config: Config, tmp_path: Path) -> None:
    create_topics(kafka_config)
    bomb = raw_article(200, paragraphs=["&" * 1_900_000])
    good = [raw_article(i) for i in range(4)]
    send_raw(kafka_config, [good[0], bomb, *good[1:]])
    stage = normalizer(kafka_config, tmp_path, 19742)
    try:
        normalized = read_committed(kafka_config, kafka_config.topics.normalized, 5, timeout_s=90)
        assert stage.poll() is None
    finally:
        stop(stage)
    by_id = {codec.loads(r.value)["id"]: r for r in normalized}
    assert sorted(by_id) == sorted(a["article_id"] for a in [*good, bomb])
    assert len(by_id[bomb["article_id"]].value) < 4 * 1024 * 1024


def test_failure_5_a_malformed_normalized_record_does_not_stop_the_normalizer(
    kafka_config: Config, tmp_path: Path
) -> None:
    create_topics(kafka_config)
    producer = make_producer(kafka_config.kafka)
    for partition in range(3):
        producer.send(kafka_config.topics.normalized, key=b"poison", value=b"\xff not json", partition=partition)
        producer.send(kafka_config.topics.normalized, key=b"poison2", value=b'{"id": 1}', partition=partition)
        # The repeat filter's own changelog: bytes that are no fingerprint, a key that is no UTF-8.
        producer.send(kafka_config.topics.normalizer_state, key=b"poison", value=b"\xff\x00", partition=partition)
        producer.send(kafka_config.topics.normalizer_state, key=b"\xff", value=b"0123456789abcdef", partition=partition)
    producer.flush()
    producer.close()
    good = [raw_article(i) for i in range(6)]
    send_raw(kafka_config, good)
    stage = normalizer(kafka_config, tmp_path, 19743)
    try:
        wait_http("http://127.0.0.1:19743/readyz", timeout_s=60)
        normalized = read_committed(kafka_config, kafka_config.topics.normalized, 6 + 6)
        assert stage.poll() is None
        metrics = subprocess.run(["curl", "-s", "http://127.0.0.1:19743/metrics"], capture_output=True, text=True)
    finally:
        stop(stage)
    ids = sorted(r.key for r in normalized if r.key not in (b"poison", b"poison2"))
    assert ids == sorted(a["article_id"].encode() for a in good)
    assert 'newsstream_restore_skipped_total{stage="normalize",topic="' in metrics.stdout
    skipped = [line for line in metrics.stdout.splitlines() if line.startswith("newsstream_restore_skipped_total{")]
    assert sum(float(line.rsplit(" ", 1)[1]) for line in skipped) >= 6, skipped


def test_failure_5_malformed_detector_state_and_title_records_do_not_stop_the_detector(
    kafka_config: Config, tmp_path: Path
) -> None:
    from consumers.normalize import normalize
    from newsstream.messages import headers_for

    create_topics(kafka_config)
    t = kafka_config.topics
    producer = make_producer(kafka_config.kafka)
    for partition in range(3):
        producer.send(t.detector_state, key=b"poison", value=b"\xff not json", partition=partition)
        producer.send(t.detector_state, key=b"poison2", value=b'{"article_id": 5}', partition=partition)
    producer.send(t.titles, key=b"\xff\xfe", value=b"\xff")
    producer.send(t.titles, key=b"wire|a title", value=b"\xc3\x28")
    articles = [normalize(raw_article(i)) for i in range(5)]
    for article in articles:
        producer.send(
            t.normalized,
            key=article["id"].encode(),
            value=codec.dumps(article),
            headers=headers_for("normalized-article"),
        )
    producer.flush()
    producer.close()
    group = f"g-{uuid.uuid4().hex[:6]}"
    command = ["detect-corrections", "--group", group, "--instance-id", uuid.uuid4().hex[:6]]
    stage = start_stage(kafka_config, command, tmp_path / "detect.log", 19745)
    try:
        wait_http("http://127.0.0.1:19745/readyz", timeout_s=90)
        states = read_committed(kafka_config, t.detector_state, 6 + 5)
        assert stage.poll() is None
        healthy = subprocess.run(["curl", "-s", "http://127.0.0.1:19745/healthz"], capture_output=True, text=True)
        metrics = subprocess.run(["curl", "-s", "http://127.0.0.1:19745/metrics"], capture_output=True, text=True)
    finally:
        stop(stage)
    written = sorted(r.key for r in states if r.key not in (b"poison", b"poison2"))
    assert written == sorted(a["id"].encode() for a in articles), "each good article's state once"
    assert healthy.stdout.strip() == "ok", "the title table survived its bad records"
    skipped = [line for line in metrics.stdout.splitlines() if line.startswith("newsstream_restore_skipped_total{")]
    assert sum(float(line.rsplit(" ", 1)[1]) for line in skipped) >= 6 + 2, skipped
