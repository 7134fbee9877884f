"""The shared consume→transform→produce loop against the real broker: transactions, DLQ, shutdown."""

from __future__ import annotations

import threading
import uuid
from collections.abc import Callable

import pytest
from kafka import TopicPartition

from newsstream import codec
from newsstream.config import Config
from newsstream.errors import TransformError
from newsstream.kafka_clients import make_consumer, make_producer
from newsstream.runner import Output, Runner, RunnerOptions, StageBase
from newsstream.shutdown import Shutdown

pytestmark = pytest.mark.integration


class EchoStage(StageBase):
    """Upper-cases the ``text`` field; rejects objects without one (TransformError)."""

    name = "echo"

    def __init__(self, source: str, sink: str) -> None:
        self.source, self.sink = source, sink
        self.assigned: set[TopicPartition] = set()

    def input_topics(self) -> list[str]:
        return [self.source]

    def process(self, record):  # type: ignore[no-untyped-def]
        message = codec.loads(record.value)
        if "text" not in message:
            raise TransformError("no text field")
        return [Output(self.sink, record.key, codec.dumps({"text": message["text"].upper()}))]

    def on_assigned(self, partitions: set[TopicPartition]) -> None:
        self.assigned |= partitions

    def on_revoked(self, partitions: set[TopicPartition]) -> None:
        self.assigned -= partitions


def read_all(config: Config, topic: str, expected: int, timeout_s: float = 30) -> list:
    """Every committed record of ``topic`` (read_committed), waiting until ``expected`` arrived."""
    consumer = make_consumer(config.kafka, None, topic, consumer_timeout_ms=3000)
    out: list = []
    import time

    deadline = time.monotonic() + timeout_s
    try:
        while time.monotonic() < deadline and len(out) < expected:
            for records in consumer.poll(timeout_ms=500).values():
                out.extend(records)
        # One more quiet poll so duplicates beyond `expected` would be seen too.
        for records in consumer.poll(timeout_ms=1500).values():
            out.extend(records)
    finally:
        consumer.close()
    return out


def start_runner(stage: EchoStage, config: Config, group: str) -> tuple[Runner, threading.Thread]:
    options = RunnerOptions(group_id=group, instance_id=uuid.uuid4().hex[:6], max_batch=50)
    runner = Runner(stage, config, options, shutdown=Shutdown())
    thread = threading.Thread(target=runner.run, kwargs={"serve_health": False}, daemon=True)
    thread.start()
    return runner, thread


def test_every_input_once_in_output_and_bad_ones_in_dlq(kafka_config: Config, new_topic: Callable[..., str]) -> None:
    source, sink, dlq = new_topic("in", 3), new_topic("out", 3), new_topic("dlq", 1)
    config = kafka_config.with_overrides(topics=type(kafka_config.topics)(dlq=dlq))
    producer = make_producer(config.kafka)
    for i in range(300):
        producer.send(source, key=f"k{i}".encode(), value=codec.dumps({"text": f"item {i}"}))
    producer.send(source, key=b"bad-json", value=b"{not json")
    producer.send(source, key=b"no-text", value=codec.dumps({"other": 1}))
    producer.flush()
    producer.close()

    stage = EchoStage(source, sink)
    runner, thread = start_runner(stage, config, f"g-{uuid.uuid4().hex[:6]}")
    outputs = read_all(config, sink, 300)
    dead = read_all(config, dlq, 2)
    runner.shutdown.request()
    thread.join(15)
    assert not thread.is_alive(), "runner did not stop within 15 s of a shutdown request"

    texts = sorted(codec.loads(r.value)["text"] for r in outputs)
    assert texts == sorted(f"ITEM {i}" for i in range(300))
    reasons = {r.key: dict(r.headers) for r in dead}
    assert set(reasons) == {b"bad-json", b"no-text"}
    assert reasons[b"bad-json"]["error.reason"] == b"decode"
    assert reasons[b"no-text"]["error.class"] == b"TransformError"
    assert reasons[b"no-text"]["source.topic"] == source.encode()
    assert any(r.value == b"{not json" for r in dead), "the DLQ keeps the original bytes"
    assert (
        runner.metrics.registry.get_sample_value("newsstream_dlq_messages_total", {"stage": "echo", "reason": "decode"})
        == 1
    )


def test_offsets_committed_with_outputs_so_a_restart_resumes(
    kafka_config: Config, new_topic: Callable[..., str]
) -> None:
    source, sink = new_topic("in", 1), new_topic("out", 1)
    group = f"g-{uuid.uuid4().hex[:6]}"
    producer = make_producer(kafka_config.kafka)
    for i in range(20):
        producer.send(source, value=codec.dumps({"text": f"a{i}"}))
    producer.flush()
    runner, thread = start_runner(EchoStage(source, sink), kafka_config, group)
    assert len(read_all(kafka_config, sink, 20)) == 20
    runner.shutdown.request()
    thread.join(15)

    for i in range(5):
        producer.send(source, value=codec.dumps({"text": f"b{i}"}))
    producer.flush()
    producer.close()
    runner, thread = start_runner(EchoStage(source, sink), kafka_config, group)
    outputs = read_all(kafka_config, sink, 25)
    runner.shutdown.request()
    thread.join(15)
    texts = [codec.loads(r.value)["text"] for r in outputs]
    assert len(texts) == 25 and len(set(texts)) == 25, "restart re-processed or skipped committed input"


class TickStage(EchoStage):
    """Echo, plus timer-driven work: every tick emits one numbered record; drain emits a last one."""

    name = "tick"
    tick_interval_s = 0.05

    def __init__(self, source: str, sink: str, ticks: str) -> None:
        super().__init__(source, sink)
        self.ticks_topic, self.ticked, self.drained = ticks, 0, False

    def tick(self, now: float) -> list[Output]:
        self.ticked += 1
        return [Output(self.ticks_topic, b"t", codec.dumps({"tick": self.ticked, "now": now}))]

    def drain(self) -> list[Output]:
        self.drained = True
        return [Output(self.ticks_topic, b"t", codec.dumps({"tick": "drain"}))]


def test_tick_outputs_are_committed_with_no_input_and_drain_runs_last(
    kafka_config: Config, new_topic: Callable[..., str]
) -> None:
    source, sink, ticks = new_topic("in", 1), new_topic("out", 1), new_topic("ticks", 1)
    stage = TickStage(source, sink, ticks)
    runner, thread = start_runner(stage, kafka_config, f"g-{uuid.uuid4().hex[:6]}")
    early = read_all(kafka_config, ticks, 5)  # no input at all: the ticks alone open transactions
    runner.shutdown.request()
    thread.join(15)
    assert not thread.is_alive()
    values = [codec.loads(r.value)["tick"] for r in read_all(kafka_config, ticks, stage.ticked + 1)]
    assert len(early) >= 5
    assert values[:-1] == list(range(1, stage.ticked + 1)), "every tick committed once, in order"
    assert values[-1] == "drain" and stage.drained
    assert (
        runner.metrics.registry.get_sample_value(
            "newsstream_transactions_total", {"stage": "tick", "outcome": "commit"}
        )
        == stage.ticked + 1
    )
