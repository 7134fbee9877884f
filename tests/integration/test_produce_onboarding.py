"""A new user's feeds through `newsstream produce --once` on a real broker and a loopback server:
declared types that are wrong, an HTML page instead of a feed, a bad entry among good ones, the
exit codes, and the per-feed numbers of `feeds status`."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import orjson
import pytest

from newsstream import codec
from newsstream.config import Config
from tests.integration.test_produce import FeedServer, create_raw_topic, feed_server, jsonfeed, read_all, rss

pytestmark = pytest.mark.integration
__all__ = ["feed_server"]  # the fixture, imported for its side effect on pytest

ATOM = b"""<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom"><title>Harbour Gazette</title><id>urn:harbour</id>
<updated>2024-03-01T09:00:00Z</updated>
<entry><title>Ferry timetable changes from Monday</title><id>urn:harbour:ferry</id>
<link href="https://harbour.example/ferry"/><updated>2024-03-01T08:00:00Z</updated>
<summary>Two early sailings move by ten minutes.</summary></entry>
</feed>"""

PAGE = b"""<!DOCTYPE html><html><head><title>Harbour Gazette</title>
<link rel="alternate" type="application/atom+xml" href="/atom.xml"></head>
<body><p>Local news from the harbour.</p></body></html>"""


def produce(config: Config, feeds_file: Path) -> subprocess.CompletedProcess[str]:
    env = {
        **os.environ,
        "KAFKA_BOOTSTRAP_SERVERS": config.kafka.bootstrap_servers,
        "NEWSSTREAM_TOPIC_RAW": config.topics.raw,
        "NEWSSTREAM_STATE_DIR": str(config.state_dir),
        "NEWSSTREAM_ALLOW_PRIVATE_ADDRESSES": "1",
        "NEWSSTREAM_LOG_FORMAT": "json",
    }
    return subprocess.run(
        [sys.executable, "-m", "newsstream.cli", "produce", "--once", "--feeds", str(feeds_file)],
        env=env, capture_output=True, text=True, timeout=120,
    )  # fmt: skip


def status(config: Config, feeds_file: Path) -> dict[str, dict[str, Any]]:
    env = {**os.environ, "NEWSSTREAM_STATE_DIR": str(config.state_dir)}
    proc = subprocess.run(
        [sys.executable, "-m", "newsstream.cli", "feeds", "status", "--json", "--feeds", str(feeds_file)],
        env=env, capture_output=True, text=True, timeout=60, check=True,
    )  # fmt: skip
    return {r["name"]: r for r in map(orjson.loads, proc.stdout.splitlines())}


def test_content_decides_the_parser_and_an_html_page_is_named(
    kafka_config: Config, feed_server: FeedServer, tmp_path: Path
) -> None:
    config = kafka_config
    create_raw_topic(config)
    feed_server.documents = {
        # An OPML import says type "rss" for everything; this server even calls its JSON Feed HTML.
        "/feed.json": (jsonfeed([("j1", "Quay repairs begin"), ("j2", "Market hall reopens")]), "text/html", False),
        "/atom.xml": (ATOM, "text/plain", False),
        "/": (PAGE, "text/html; charset=utf-8", False),
    }
    base = feed_server.base
    feeds_file = tmp_path / "feeds.toml"
    feeds_file.write_text(
        f'[[feeds]]\nurl = "{base}/feed.json"\nname = "Declared rss"\n\n'
        f'[[feeds]]\nurl = "{base}/atom.xml"\nname = "Declared json"\ntype = "jsonfeed"\n\n'
        f'[[feeds]]\nurl = "{base}/"\nname = "A web page"\n'
    )
    proc = produce(config, feeds_file)
    assert proc.returncode == 3, proc.stderr[-3000:]  # partial: 2 of 3 feeds fine

    titles = sorted(codec.loads(r.value)["entry"]["title"] for r in read_all(config, 3))
    assert titles == ["Ferry timetable changes from Monday", "Market hall reopens", "Quay repairs begin"]
    rows = status(config, feeds_file)
    assert rows["Declared rss"]["state"] == "ok"
    assert "is a JSON Feed" in rows["Declared rss"]["note"] and "type = 'jsonfeed'" in rows["Declared rss"]["note"]
    assert "is an Atom feed" in rows["Declared json"]["note"] and "type = 'rss'" in rows["Declared json"]["note"]
    assert rows["A web page"]["state"] == "backoff"
    assert "HTML page, not a feed" in rows["A web page"]["last_error"]
    assert "newsstream feeds add URL" in rows["A web page"]["last_error"]
    assert rows["Declared rss"]["versions_emitted"] == 2 and rows["Declared rss"]["articles"] == 2
    assert rows["Declared rss"]["next_due_at"].endswith("Z")  # ISO 8601 UTC, not a Unix number


def test_a_bad_entry_is_skipped_and_counted_and_the_rest_delivered(
    kafka_config: Config, feed_server: FeedServer, tmp_path: Path
) -> None:
    config = kafka_config
    create_raw_topic(config)
    good = rss([("g1", "Lifeboat crew honoured"), ("g2", "Tide gauge replaced")])
    bad = good.replace(b"</channel>", b'<item><guid isPermaLink="false">only-a-guid</guid></item></channel>')
    feed_server.documents = {"/mixed.xml": (bad, "application/rss+xml", False)}
    feeds_file = tmp_path / "feeds.toml"
    feeds_file.write_text(f'[[feeds]]\nurl = "{feed_server.base}/mixed.xml"\nname = "Mixed"\n')

    proc = produce(config, feeds_file)
    assert proc.returncode == 0, proc.stderr[-3000:]  # the feed itself is fine
    assert "bad entry #3 skipped" in proc.stderr
    titles = sorted(codec.loads(r.value)["entry"]["title"] for r in read_all(config, 2))
    assert titles == ["Lifeboat crew honoured", "Tide gauge replaced"]
    row = status(config, feeds_file)["Mixed"]
    assert (row["bad_entries"], row["versions_emitted"], row["articles"]) == (1, 2, 2)

    saved = tmp_path / "mixed.xml"
    saved.write_bytes(bad)
    preview = subprocess.run(
        [sys.executable, "-m", "newsstream.cli", "preview", str(saved), "--normalize"],
        capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert preview.returncode == 3, preview.stderr  # partial: printed what it could
    assert [orjson.loads(x)["title"] for x in preview.stdout.splitlines()] == [
        "Lifeboat crew honoured", "Tide gauge replaced",
    ]  # fmt: skip
    assert "bad=1" in preview.stderr


def test_the_bad_entry_metric(kafka_config: Config, feed_server: FeedServer) -> None:
    import asyncio

    from newsstream.kafka_clients import make_producer
    from producers.feeds import FeedConfig
    from producers.stage import ProduceStage
    from producers.state import StateStore

    config = kafka_config
    create_raw_topic(config)
    body = rss([("g1", "Lifeboat crew honoured")]).replace(b"</channel>", b"<item><guid>g-only</guid></item></channel>")
    feed_server.documents = {"/mixed.xml": (body, "application/rss+xml", False)}
    sender = make_producer(config.kafka)
    try:
        with StateStore(config.state_dir) as state:
            stage = ProduceStage(config, [FeedConfig(url=f"{feed_server.base}/mixed.xml", name="M")], sender=sender,
                                 state=state)  # fmt: skip
            asyncio.run(stage.run(once=True))
    finally:
        sender.close(10)
    sample = stage.registry.get_sample_value
    assert sample("newsstream_feed_entries_total", {"result": "bad"}) == 1
    assert sample("newsstream_feed_entries_total", {"result": "emitted"}) == 1


def test_exit_code_when_every_feed_fails(kafka_config: Config, feed_server: FeedServer, tmp_path: Path) -> None:
    config = kafka_config
    create_raw_topic(config)
    feeds_file = tmp_path / "feeds.toml"
    feeds_file.write_text(
        f'[[feeds]]\nurl = "{feed_server.base}/gone-1.xml"\nname = "One"\n\n'
        f'[[feeds]]\nurl = "{feed_server.base}/gone-2.xml"\nname = "Two"\n'
    )
    proc = produce(config, feeds_file)
    assert proc.returncode == 4, proc.stderr[-3000:]
    assert "2 of 2 feeds failed" in proc.stderr


def test_feeds_status_counts_each_feeds_events(kafka_config: Config, feed_server: FeedServer, tmp_path: Path) -> None:
    from newsstream.kafka_clients import make_producer
    from newsstream.topics import create_topics

    config = kafka_config
    create_topics(config, ["raw", "corrections"])
    feed_server.documents = {
        "/one.xml": (rss([("o1", "Lifeboat crew honoured"), ("o2", "Tide gauge replaced")]), "text/xml", False),
        "/two.xml": (rss([("t1", "Harbour toll approved")]), "text/xml", False),
    }
    feeds_file = tmp_path / "feeds.toml"
    feeds_file.write_text(
        f'[[feeds]]\nurl = "{feed_server.base}/one.xml"\nname = "One"\n\n'
        f'[[feeds]]\nurl = "{feed_server.base}/two.xml"\nname = "Two"\n'
    )
    assert produce(config, feeds_file).returncode == 0
    ids = {codec.loads(r.value)["entry"]["title"]: r.key.decode() for r in read_all(config, 3)}
    producer = make_producer(config.kafka)
    for title, kind in [
        ("Lifeboat crew honoured", "correction"),
        ("Lifeboat crew honoured", "update"),
        ("Tide gauge replaced", "correction"),
        ("Harbour toll approved", "headline_change"),
    ]:
        producer.send(config.topics.corrections, orjson.dumps({"article_id": ids[title], "type": kind}))
    producer.send(config.topics.corrections, orjson.dumps({"article_id": "u:someone-else", "type": "correction"}))
    producer.flush(10)
    producer.close()

    env = {**os.environ, "NEWSSTREAM_STATE_DIR": str(config.state_dir),
           "KAFKA_BOOTSTRAP_SERVERS": config.kafka.bootstrap_servers,
           "NEWSSTREAM_TOPIC_CORRECTIONS": config.topics.corrections}  # fmt: skip
    proc = subprocess.run(
        [sys.executable, "-m", "newsstream.cli", "feeds", "status", "--json", "--events", "--feeds", str(feeds_file)],
        env=env, capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    rows = {r["name"]: r for r in map(orjson.loads, proc.stdout.splitlines())}
    assert rows["One"]["events"] == {"correction": 2, "update": 1}
    assert rows["Two"]["events"] == {"headline_change": 1}
