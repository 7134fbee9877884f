"""Issue 14, failure 4: each version exactly once at any feed size.

A 50,000-item RSS feed without validators (200 and the whole document on every poll) is polled
twice by ``newsstream produce --once``: the second poll emits nothing (the producer remembers every
entry still in the feed, not the newest 2,000). A third poll from an empty state directory (a lost
volume) sends all 50,000 again; the normalizer drops every one of those repeats (its filter is keyed
per article in a compacted changelog, not a window of 5,000), so news.normalized.v1 holds exactly
50,000 records.
"""

from __future__ import annotations

import signal
import time
import urllib.request
import uuid
from pathlib import Path

import pytest

from newsstream.config import Config
from newsstream.topics import create_topics
from tests.integration.helpers import read_committed, start_stage
from tests.integration.test_produce import FeedServer, feed_server, produce_once, round_line  # noqa: F401

pytestmark = pytest.mark.integration

ITEMS = 50_000


def big_rss(count: int) -> bytes:
    items = "".join(f"<item><title>Item {i}</title><link>https://big.example/a/{i}</link></item>" for i in range(count))
    return f'<?xml version="1.0"?><rss version="2.0"><channel><title>Big</title>{items}</channel></rss>'.encode()


def consumed(port: int) -> float:
    """The normalizer's newsstream_messages_consumed_total (0 before it answers)."""
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5) as response:  # noqa: S310
            text = response.read().decode()
    except OSError:
        return 0.0
    lines = [line for line in text.splitlines() if line.startswith("newsstream_messages_consumed_total{")]
    return sum(float(line.rsplit(" ", 1)[1]) for line in lines)


def test_two_polls_of_a_50000_item_feed_give_50000_normalized_records(
    kafka_config: Config,
    feed_server: FeedServer,  # noqa: F811
    tmp_path: Path,
) -> None:
    create_topics(kafka_config)
    feed_server.documents["/big.xml"] = (big_rss(ITEMS), "application/rss+xml", False)
    feeds = tmp_path / "feeds.toml"
    feeds.write_text(f'[[feeds]]\nurl = "{feed_server.base}/big.xml"\nname = "Big"\npublisher = "Big"\n')
    first = round_line(produce_once(kafka_config, feeds))
    second = round_line(produce_once(kafka_config, feeds))
    lost_volume = kafka_config.with_overrides(state_dir=tmp_path / "fresh-state")
    third = round_line(produce_once(lost_volume, feeds))
    assert feed_server.requests.count(("/big.xml", 200)) == 3, "no validators: the whole document every time"
    assert (first["msg"], second["msg"]) != ("", "")
    assert " 50000 emitted" in first["msg"], first["msg"]
    assert " 0 emitted" in second["msg"] and " 50000 unchanged" in second["msg"], second["msg"]
    assert " 50000 emitted" in third["msg"], third["msg"]

    command = ["normalize", "--group", f"g-{uuid.uuid4().hex[:6]}", "--instance-id", uuid.uuid4().hex[:6]]
    stage = start_stage(kafka_config, command, tmp_path / "normalize.log", 19744)
    try:
        # Wait until the normalizer has consumed all 100,000 raw records (the repeats come last).
        deadline = time.monotonic() + 300
        while consumed(19744) < 2 * ITEMS and time.monotonic() < deadline:
            assert stage.poll() is None, (tmp_path / "normalize.log").read_text()[-3000:]
            time.sleep(2)
        assert consumed(19744) == 2 * ITEMS
        normalized = read_committed(kafka_config, kafka_config.topics.normalized, ITEMS, timeout_s=60, quiet_s=3)
        assert stage.poll() is None
    finally:
        stage.send_signal(signal.SIGTERM)
        stage.wait(30)
    keys = [r.key for r in normalized]
    assert len(keys) == ITEMS and len(set(keys)) == ITEMS, f"{len(keys)} records for {len(set(keys))} articles"
