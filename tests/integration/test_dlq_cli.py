"""Issue 14, item 9: ``newsstream dlq list|show|replay`` on a uuid DLQ topic on the real broker."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable

import pytest
from kafka.consumer.fetcher import ConsumerRecord

from newsstream.config import Config
from newsstream.dead_letters import dead_letter
from newsstream.kafka_clients import make_producer
from tests.integration.helpers import read_committed

pytestmark = pytest.mark.integration


def cli(config: Config, *args: str) -> str:
    env = {**os.environ, "KAFKA_BOOTSTRAP_SERVERS": config.kafka.bootstrap_servers, "NEWSSTREAM_LOG_FORMAT": "json"}
    proc = subprocess.run(
        [sys.executable, "-m", "newsstream.cli", "dlq", *args], env=env, capture_output=True, text=True, timeout=60
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    return proc.stdout


def test_list_show_and_replay_a_selection(kafka_config: Config, new_topic: Callable[..., str]) -> None:
    source, dlq = new_topic("raw", 1), new_topic("dlq", 1)
    producer = make_producer(kafka_config.kafka)
    letters = [("normalize", "exception", b"a"), ("normalize", "schema", b"b"), ("normalize", "exception", b"c")]
    letters += [("normalize", "exception", b"d"), ("detect-corrections", "decode", b"e")]
    for offset, (stage, reason, value) in enumerate(letters):
        record = ConsumerRecord(source, 0, -1, 100 + offset, 0, 0, value, value, [], None, 1, 1, -1)
        key, value, headers = dead_letter(stage, record, reason, "OverflowError", f"boom {offset}", "Traceback ...")
        producer.send(dlq, key=key, value=value, headers=headers)
    producer.flush()
    producer.close()

    listing = cli(kafka_config, "list", "--topic", dlq)
    lines = listing.splitlines()
    assert lines[0].split()[:3] == ["3", "normalize", "exception"], listing
    assert "5 dead letters in 3 groups" in lines[-1]
    records = cli(kafka_config, "list", "--topic", dlq, "--records", "--reason", "exception")
    assert [line.split()[0] for line in records.splitlines()[:-1]] == ["0:0", "0:2", "0:3"]

    shown = cli(kafka_config, "show", "--topic", dlq, "0:1")
    assert "error.reason: schema" in shown and f"source.topic: {source}" in shown and "source.offset: 101" in shown

    dry = cli(kafka_config, "replay", "--topic", dlq, "--reason", "exception", "--to-offset", "2")
    assert f"would replay 2 records to {source}" in dry and "--yes" in dry
    done = cli(kafka_config, "replay", "--topic", dlq, "--reason", "exception", "--to-offset", "2", "--yes")
    assert f"replayed 2 records to {source}" in done
    back = read_committed(kafka_config, source, 2, timeout_s=30)
    assert sorted(r.value for r in back) == [b"a", b"c"], "exactly the selected records, once"
    assert all(dict(r.headers)["replayed.from"].startswith(dlq.encode()) for r in back)
