"""`newsstream run` deletes only topics its own ended earlier runs created, never a foreign `demo-…` topic."""

from __future__ import annotations

import subprocess
import sys
import time
import uuid
from collections.abc import Callable
from pathlib import Path

import pytest
from kafka.admin import NewTopic

from newsstream.cli import _runs
from newsstream.cli.run import _demo_topics
from newsstream.config import Config, KafkaSettings
from newsstream.kafka_clients import make_admin

pytestmark = pytest.mark.integration


def _wait_topics(admin, names: set[str], present: bool) -> set[str]:  # type: ignore[no-untyped-def]
    """The broker's topics once every name in ``names`` is (or is no longer) listed."""
    for _ in range(100):
        topics = set(admin.list_topics())
        if (names <= topics) if present else not (names & topics):
            return topics
        time.sleep(0.1)
    return set(admin.list_topics())


def test_only_topics_of_ended_earlier_runs_are_deleted(
    kafka_bootstrap: str, new_topic: Callable[..., str], tmp_path: Path
) -> None:
    config = Config().with_overrides(kafka=KafkaSettings(bootstrap_servers=kafka_bootstrap), state_dir=tmp_path)
    foreign = new_topic("demo-x")  # a user's own topic that merely looks like a demo topic
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    ended_id, running_id = f"20000101-000000-{uuid.uuid4().hex[:4]}", f"20000101-000001-{uuid.uuid4().hex[:4]}"
    ended = _runs.write_record(tmp_path, ended_id, kafka_bootstrap, _demo_topics(ended_id))
    ended.path.write_text(ended.path.read_text().replace(f'"pid": {ended.pid}', f'"pid": {dead.stdout.strip()}'))
    running = _runs.write_record(tmp_path, running_id, kafka_bootstrap, _demo_topics(running_id))  # our pid: alive
    other_broker = _runs.write_record(tmp_path / "b", ended_id, "10.0.0.1:9092", _demo_topics(ended_id))
    assert other_broker.bootstrap_servers != kafka_bootstrap
    admin = make_admin(config.kafka)
    try:
        mine = [ended.topics["raw"], ended.topics["corrections"], running.topics["raw"]]
        admin.create_topics([NewTopic(name, 1, 1) for name in mine])
        _wait_topics(admin, {*mine, foreign}, present=True)

        deleted = _runs.delete_earlier_run_topics(config)

        assert deleted == sorted([ended.topics["raw"], ended.topics["corrections"]])
        topics = _wait_topics(admin, set(deleted), present=False)
        assert foreign in topics
        assert running.topics["raw"] in topics
        assert not set(deleted) & topics
        assert _runs.last_record(tmp_path) == running  # the ended run's record is retired
        assert _runs.delete_earlier_run_topics(config) == []
        admin.delete_topics([running.topics["raw"]])
    finally:
        admin.close()
