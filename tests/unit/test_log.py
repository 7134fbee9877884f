"""Logging: JSON lines carry fields; repeated kafka-python reconnect noise is thinned."""

from __future__ import annotations

import logging

from newsstream import codec
from newsstream.log import JsonFormatter, RepeatFilter, fields


def record(name: str, msg: str, level: int = logging.ERROR) -> logging.LogRecord:
    return logging.LogRecord(name, level, __file__, 1, msg, None, None)


def test_json_lines_carry_fields() -> None:
    rec = record("newsstream.x", "fetched")
    rec.fields = fields(feed="a", n=2)["fields"]
    line = codec.loads(JsonFormatter().format(rec))
    assert line["msg"] == "fetched" and line["feed"] == "a" and line["n"] == 2 and line["ts"].endswith("Z")


def test_repeated_kafka_records_pass_once_per_window_others_always() -> None:
    gate = RepeatFilter(window_s=3600)
    reconnects = [
        record("kafka.net.manager", f"Connection failed: 111 ECONNREFUSED (backoff 0.{i} secs)") for i in range(50)
    ]
    assert sum(gate.filter(r) for r in reconnects) == 1
    assert gate.filter(record("kafka.net.manager", "Bootstrap failed: KafkaTimeoutError")), "a new kind passes"
    assert all(gate.filter(record("newsstream.runner", "same text")) for _ in range(5)), "ours are never thinned"
    templated = [
        logging.LogRecord("kafka.conn", logging.ERROR, __file__, 1, "%s: %s", ("<conn>", why), None)
        for why in ("socket disconnected", "Authentication failed: Invalid username or password")
    ]
    assert all(gate.filter(r) for r in templated), "different complaints sharing a template both pass"
