"""`newsstream produce` reloads its feed list on SIGHUP and when the file changes, keeping fetch state."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from newsstream import codec
from newsstream.config import Config
from newsstream.kafka_clients import make_consumer
from tests.integration.test_produce import FeedServer, create_raw_topic, feed_server, rss

pytestmark = pytest.mark.integration
__all__ = ["feed_server"]


class RawReader:
    """Reads the raw topic as the producer writes it; ``until(n)`` waits for the n-th record."""

    def __init__(self, config: Config) -> None:
        self.consumer = make_consumer(config.kafka, None, config.topics.raw, auto_offset_reset="earliest")
        self.titles: list[str] = []

    def until(self, count: int, process: subprocess.Popen[Any], limit_s: float = 60) -> list[str]:
        deadline = time.monotonic() + limit_s  # a safety net for a broken build, not a timing claim
        while len(self.titles) < count and time.monotonic() < deadline and process.poll() is None:
            for records in self.consumer.poll(timeout_ms=500).values():
                self.titles += [codec.loads(r.value)["entry"]["title"] for r in records]
        return sorted(self.titles)

    def settle(self, quiet_polls: int = 4) -> list[str]:
        """Everything written until a few polls in a row bring nothing new."""
        quiet = 0
        while quiet < quiet_polls:
            batch = self.consumer.poll(timeout_ms=500)
            quiet = 0 if batch else quiet + 1
            for records in batch.values():
                self.titles += [codec.loads(r.value)["entry"]["title"] for r in records]
        return sorted(self.titles)


def _feed(base: str, path: str, name: str) -> str:
    return f'[[feeds]]\nurl = "{base}{path}"\nname = "{name}"\ninterval = "1s"\n\n'


def test_sighup_and_file_changes_reload_the_feed_list(
    kafka_config: Config, feed_server: FeedServer, tmp_path: Path
) -> None:
    config = kafka_config
    create_raw_topic(config)
    feed_server.documents = {
        "/a.xml": (rss([("a1", "Pier lights restored")]), "application/rss+xml", True),
        "/b.xml": (rss([("b1", "Regatta date set")]), "application/rss+xml", True),
        "/c.xml": (rss([("c1", "Fish market moves indoors")]), "application/rss+xml", True),
    }
    base = feed_server.base
    feeds_file = tmp_path / "feeds.toml"
    feeds_file.write_text(_feed(base, "/a.xml", "A"))
    env = {
        **os.environ, "KAFKA_BOOTSTRAP_SERVERS": config.kafka.bootstrap_servers,
        "NEWSSTREAM_TOPIC_RAW": config.topics.raw, "NEWSSTREAM_STATE_DIR": str(config.state_dir),
        "NEWSSTREAM_ALLOW_PRIVATE_ADDRESSES": "1", "NEWSSTREAM_POLL_FLOOR_SECONDS": "1",
        "NEWSSTREAM_LOG_FORMAT": "console",
    }  # fmt: skip
    log_path = tmp_path / "produce.log"
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "newsstream.cli", "produce", "--feeds", str(feeds_file), "--metrics-port", "0"],
            env=env, stdout=log, stderr=subprocess.STDOUT,
        )  # fmt: skip
    reader = RawReader(config)
    try:
        assert reader.until(1, process) == ["Pier lights restored"]

        # SIGHUP: B is added; the process lives on and A (same state) is not sent again.
        feeds_file.write_text(_feed(base, "/a.xml", "A") + _feed(base, "/b.xml", "B"))
        process.send_signal(signal.SIGHUP)
        assert reader.until(2, process) == ["Pier lights restored", "Regatta date set"]
        assert process.poll() is None, log_path.read_text()[-2000:]

        # A changed file alone (no signal) is picked up too; C is added, B removed.
        feeds_file.write_text(_feed(base, "/a.xml", "A") + _feed(base, "/c.xml", "C"))
        assert reader.until(3, process)[0] == "Fish market moves indoors"

        # A broken list is refused and the previous one kept.
        feeds_file.write_text('[[feeds]]\nurl = "not a url"\n')
        process.send_signal(signal.SIGHUP)
        requests_before = len(feed_server.requests)
        deadline = time.monotonic() + 60  # a safety net, not a timing claim
        while len(feed_server.requests) < requests_before + 2 and process.poll() is None:
            assert time.monotonic() < deadline, log_path.read_text()[-2000:]
            time.sleep(0.2)  # the loop keeps polling A and C
        assert process.poll() is None, log_path.read_text()[-2000:]
        polled = {path for path, _ in feed_server.requests[requests_before:]}
        assert polled <= {"/a.xml", "/c.xml"}

        assert reader.settle() == ["Fish market moves indoors", "Pier lights restored", "Regatta date set"]
        assert ("/a.xml", 304) in feed_server.requests  # A's validators survived every reload
    finally:
        process.send_signal(signal.SIGTERM)
        code = process.wait(30)
        reader.consumer.close()
    assert code == 0
    text = log_path.read_text()
    assert "feed list reloaded (SIGHUP)" in text and "feed list reloaded (file changed)" in text
    assert "feed list not reloaded" in text
