"""Test helpers: stage processes with a Config's topics, committed-record readers, RawArticle builders."""

from __future__ import annotations

import os
import subprocess
import sys
import time
import urllib.request
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from newsstream import codec
from newsstream.config import Config
from newsstream.kafka_clients import make_consumer, make_producer
from newsstream.messages import headers_for


def stage_env(config: Config, **extra: str) -> dict[str, str]:
    """The environment a stage process needs to use ``config``'s broker and topics."""
    t = config.topics
    env = {
        **os.environ,
        "KAFKA_BOOTSTRAP_SERVERS": config.kafka.bootstrap_servers,
        "NEWSSTREAM_TOPIC_RAW": t.raw,
        "NEWSSTREAM_TOPIC_NORMALIZED": t.normalized,
        "NEWSSTREAM_TOPIC_CORRECTIONS": t.corrections,
        "NEWSSTREAM_TOPIC_DLQ": t.dlq,
        "NEWSSTREAM_TOPIC_DETECTOR_STATE": t.detector_state,
        "NEWSSTREAM_TOPIC_TITLES": t.titles,
        "NEWSSTREAM_TOPIC_PAGE_SCHEDULE": t.page_schedule,
        "NEWSSTREAM_TOPIC_NORMALIZER_STATE": t.normalizer_state,
        "NEWSSTREAM_STATE_DIR": str(config.state_dir),
        "NEWSSTREAM_LOG_FORMAT": "console",
        "NEWSSTREAM_ALLOW_PRIVATE_ADDRESSES": "1",
    }
    env.update(extra)
    return env


def start_stage(config: Config, command: list[str], log_path: Path, port: int, **extra: str) -> subprocess.Popen[bytes]:
    """Start ``newsstream <command>`` as a process with its metrics on ``port``; output to ``log_path``."""
    env = stage_env(config, NEWSSTREAM_METRICS_PORT=str(port), NEWSSTREAM_METRICS_HOST="127.0.0.1", **extra)
    log = log_path.open("ab")
    return subprocess.Popen([sys.executable, "-m", "newsstream.cli", *command], env=env, stdout=log, stderr=log)


def wait_http(url: str, timeout_s: float = 60, status: int = 200) -> None:
    """Wait until ``url`` answers with ``status``."""
    deadline = time.monotonic() + timeout_s
    last: Any = None
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=2) as response:  # noqa: S310 - loopback
                if response.status == status:
                    return
        except Exception as exc:  # noqa: BLE001 - keep waiting, report the last error
            last = exc
        time.sleep(0.3)
    raise AssertionError(f"{url} did not answer {status} within {timeout_s} s (last: {last})")


def read_committed(config: Config, topic: str, expected: int, timeout_s: float = 60, quiet_s: float = 2.0) -> list:
    """Every committed record of ``topic``, waiting until ``expected`` arrived, then ``quiet_s`` more."""
    consumer = make_consumer(config.kafka, None, topic)
    records: list = []
    deadline = time.monotonic() + timeout_s
    try:
        while time.monotonic() < deadline and len(records) < expected:
            for batch in consumer.poll(timeout_ms=500).values():
                records.extend(batch)
        quiet_until = time.monotonic() + quiet_s
        while time.monotonic() < quiet_until:
            for batch in consumer.poll(timeout_ms=300).values():
                records.extend(batch)
    finally:
        consumer.close()
    return records


def raw_article(
    i: int,
    *,
    version: int = 1,
    publisher: str = "Test Wire",
    title: str | None = None,
    paragraphs: list[str] | None = None,
    link: str | None = None,
) -> dict[str, Any]:
    """A schema-valid RawArticle written for these tests."""
    from newsstream.canonical_url import article_id

    link = link or f"https://news.example.org/story/{i}"
    paras = paragraphs or [
        f"Council members met on Tuesday to discuss item {i} of the budget, version {version}.",
        "The session ran late into the evening, and several residents spoke during the public comment period.",
    ]
    html = "".join(f"<p>{p}</p>" for p in paras)
    return {
        "article_id": article_id(link),
        "source": "feed",
        "feed": {"url": "http://127.0.0.1/feed.xml", "title": "Test feed", "publisher": publisher},
        "fetched_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "http": {"status": 200, "final_url": "http://127.0.0.1/feed.xml", "etag": None, "last_modified": None},
        "entry": {
            "guid": link,
            "link": link,
            "title": title or f"Budget item {i} discussed",
            "summary": None,
            "content": [{"type": "text/html", "language": None, "value": html}],
            "published": {"raw": "Tue, 24 Nov 2026 10:00:00 GMT", "utc": "2026-11-24T10:00:00Z"},
            "updated": None,
            "authors": ["Staff"],
            "tags": [],
            "enclosures": [],
        },
        "producer": {"name": "test", "version": "0"},
    }


def send_raw(config: Config, articles: list[dict[str, Any]], extra: Sequence[tuple[bytes | None, bytes]] = ()) -> None:
    """Write RawArticles (keyed by id, with headers) plus any extra (key, raw bytes) records."""
    producer = make_producer(config.kafka)
    for article in articles:
        producer.send(
            config.topics.raw,
            key=article["article_id"].encode(),
            value=codec.dumps(article),
            headers=headers_for("raw-article"),
        )
    for key, value in extra:
        producer.send(config.topics.raw, key=key, value=value)
    producer.flush()
    producer.close()
