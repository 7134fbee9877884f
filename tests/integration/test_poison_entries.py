"""Issue 14, failure 3: one oversized entry no longer fails its whole feed forever.

A loopback feed carries two ordinary entries around one of 1.9 MB of incompressible text, which
the broker refuses (message.max.bytes, 1 MiB by default). ``newsstream produce --once`` delivers the
two ordinary entries, dead-letters the big one (its metadata: the whole entry would not fit
either), records its fingerprint, and says so in the round log and in ``feeds status``; a second
poll sends nothing at all.
"""

from __future__ import annotations

import base64
import random
import subprocess
import sys
from pathlib import Path

import orjson
import pytest

from newsstream import codec
from newsstream.config import Config
from newsstream.topics import create_topics
from tests.integration.helpers import read_committed, stage_env
from tests.integration.test_produce import FeedServer, feed_server  # noqa: F401

pytestmark = pytest.mark.integration


def feed_with_a_big_entry() -> bytes:
    noise = base64.b64encode(random.Random(14).randbytes(1_400_000)).decode()  # ~1.87 MB, zstd cannot shrink it
    items = [("small-1", "An ordinary story", "Short text."), ("big", "A huge story", noise)]
    items.append(("small-2", "Another ordinary story", "More short text."))
    body = "".join(
        f"<item><title>{title}</title><link>https://site.example/{slug}</link><description>{text}</description></item>"
        for slug, title, text in items
    )
    return f'<?xml version="1.0"?><rss version="2.0"><channel><title>S</title>{body}</channel></rss>'.encode()


def run(config: Config, *args: str) -> subprocess.CompletedProcess[str]:
    env = stage_env(config, NEWSSTREAM_LOG_FORMAT="json")
    proc = subprocess.run(
        [sys.executable, "-m", "newsstream.cli", *args], env=env, capture_output=True, text=True, timeout=120
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    return proc


def round_message(proc: subprocess.CompletedProcess[str]) -> str:
    lines = [orjson.loads(x) for x in proc.stderr.splitlines() if x.startswith("{")]
    return next(str(x["msg"]) for x in lines if str(x.get("msg", "")).startswith("round "))


def test_an_oversized_entry_is_dead_lettered_and_its_feed_delivered(
    kafka_config: Config,
    feed_server: FeedServer,  # noqa: F811
    tmp_path: Path,
) -> None:
    create_topics(kafka_config)
    feed_server.documents["/s.xml"] = (feed_with_a_big_entry(), "application/rss+xml", False)
    feeds = tmp_path / "feeds.toml"
    feeds.write_text(f'[[feeds]]\nurl = "{feed_server.base}/s.xml"\nname = "S"\npublisher = "S"\n')

    first = round_message(run(kafka_config, "produce", "--once", "--feeds", str(feeds)))
    assert "2 emitted" in first and "0 send failures, 1 dead-lettered" in first, first
    raw = read_committed(kafka_config, kafka_config.topics.raw, 2, timeout_s=30)
    assert sorted(codec.loads(r.value)["entry"]["link"] for r in raw) == [
        "https://site.example/small-1",
        "https://site.example/small-2",
    ]
    dead = read_committed(kafka_config, kafka_config.topics.dlq, 1, timeout_s=30)
    assert len(dead) == 1
    headers = dict(dead[0].headers)
    assert headers["stage"] == b"produce" and headers["error.reason"] == b"entry_too_large"
    assert headers["dlq.content"] == b"metadata"
    assert codec.loads(dead[0].value)["entry"]["link"] == "https://site.example/big"

    status = run(kafka_config, "feeds", "status", "--feeds", str(feeds)).stdout
    assert "1 entries too large, sent to the DLQ" in status, status

    second = round_message(run(kafka_config, "produce", "--once", "--feeds", str(feeds)))
    assert "0 emitted, 3 unchanged" in second and "0 dead-lettered" in second, second
    assert len(read_committed(kafka_config, kafka_config.topics.raw, 3, timeout_s=5, quiet_s=1)) == 2
