"""``newsstream produce --once`` against a real broker and a real loopback HTTP server.

Run 1 emits every entry (schema-valid, headers present); run 2 (a new process, same state dir)
emits nothing; after an edit, run 3 emits exactly the edited entries again under the same keys.
One RSS feed answers with an ETag (304 on run 2), one without validators (200 every time, deduped
by fingerprint), one is a JSON Feed (the registry's second producer).
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import orjson
import pytest

import schemas
from newsstream import codec
from newsstream.config import Config
from newsstream.kafka_clients import make_admin, make_consumer

pytestmark = pytest.mark.integration


def rss(items: list[tuple[str, str]]) -> bytes:
    body = "".join(
        f"<item><title>{t}</title><link>https://site.example/{slug}</link><guid>{slug}</guid>"
        f"<description>About {t}</description><pubDate>Sun, 05 Nov 2023 14:30:00 GMT</pubDate></item>"
        for slug, t in items
    )
    return f'<?xml version="1.0"?><rss version="2.0"><channel><title>Site</title>{body}</channel></rss>'.encode()


def jsonfeed(items: list[tuple[str, str]]) -> bytes:
    return orjson.dumps(
        {
            "version": "https://jsonfeed.org/version/1.1",
            "title": "JSON site",
            "items": [{"id": s, "url": f"https://json.example/{s}", "title": t, "content_text": t} for s, t in items],
        }
    )


class FeedServer:
    """Serves ``documents[path] = (bytes, content_type, with_etag)``; counts requests and 304s."""

    def __init__(self) -> None:
        self.documents: dict[str, tuple[bytes, str, bool]] = {}
        self.requests: list[tuple[str, int]] = []
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802
                doc = server.documents.get(self.path)
                if doc is None:
                    server.requests.append((self.path, 404))  # recorded before the client can see it
                    self.send_response(404)
                    self.end_headers()
                    return
                body, ctype, with_etag = doc
                etag = '"' + hashlib.sha1(body).hexdigest()[:16] + '"'  # noqa: S324
                if with_etag and self.headers.get("If-None-Match") == etag:
                    server.requests.append((self.path, 304))
                    self.send_response(304)
                    self.send_header("ETag", etag)
                    self.end_headers()
                    return
                server.requests.append((self.path, 200))
                self.send_response(200)
                self.send_header("Content-Type", ctype)
                self.send_header("Content-Length", str(len(body)))
                if with_etag:
                    self.send_header("ETag", etag)
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.httpd.server_address[1]}"


@pytest.fixture
def feed_server() -> Iterator[FeedServer]:
    server = FeedServer()
    server.thread.start()
    yield server
    server.httpd.shutdown()
    server.httpd.server_close()


def create_raw_topic(config: Config) -> None:
    from kafka.admin import NewTopic

    admin = make_admin(config.kafka)
    try:
        admin.create_topics([NewTopic(config.topics.raw, 3, 1)])
    finally:
        admin.close()


def read_all(config: Config, expect_at_least: int, timeout_ms: int = 8000) -> list[Any]:
    consumer = make_consumer(config.kafka, None, config.topics.raw, consumer_timeout_ms=timeout_ms)
    try:
        records = list(consumer)
    finally:
        consumer.close()
    assert len(records) >= expect_at_least
    return records


def produce_once(config: Config, feeds_file: Path, *extra: str, expect: int = 0) -> subprocess.CompletedProcess[str]:
    env = {
        **os.environ,
        "KAFKA_BOOTSTRAP_SERVERS": config.kafka.bootstrap_servers,
        "NEWSSTREAM_TOPIC_RAW": config.topics.raw,
        "NEWSSTREAM_STATE_DIR": str(config.state_dir),
        "NEWSSTREAM_ALLOW_PRIVATE_ADDRESSES": "1",
        "NEWSSTREAM_LOG_FORMAT": "json",
        "NEWSSTREAM_LOG_LEVEL": "DEBUG",
    }
    proc = subprocess.run(
        [sys.executable, "-m", "newsstream.cli", "produce", "--once", "--feeds", str(feeds_file), *extra],
        env=env, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert proc.returncode == expect, proc.stderr[-3000:]
    return proc


def round_line(proc: subprocess.CompletedProcess[str]) -> dict[str, Any]:
    lines = [orjson.loads(x) for x in proc.stderr.splitlines() if x.startswith("{")]
    rounds = [x for x in lines if str(x.get("msg", "")).startswith("round ")]
    assert len(rounds) == 1, proc.stderr[-2000:]
    return rounds[0]


def test_produce_restart_and_versions(kafka_config: Config, feed_server: FeedServer, tmp_path: Path) -> None:
    config = kafka_config
    create_raw_topic(config)
    etag_items = [("a1", "Alpha one"), ("a2", "Alpha two"), ("a3", "Alpha three")]
    plain_items = [("b1", "Beta one"), ("b2", "Beta two")]
    json_items = [("j1", "Json one"), ("j2", "Json two")]
    feed_server.documents = {
        "/etag.xml": (rss(etag_items), "application/rss+xml", True),
        "/plain.xml": (rss(plain_items), "application/rss+xml; charset=utf-8", False),
        "/feed.json": (jsonfeed(json_items), "application/feed+json", False),
    }
    base = feed_server.base
    feeds_file = tmp_path / "feeds.toml"
    feeds_file.write_text(
        f'[[feeds]]\nurl = "{base}/etag.xml"\nname = "ETag feed"\npublisher = "Site"\n\n'
        f'[[feeds]]\nurl = "{base}/plain.xml"\nname = "Plain feed"\n\n'
        f'[[feeds]]\nurl = "{base}/feed.json"\nname = "JSON feed"\ntype = "jsonfeed"\n'
    )

    # Run 1: everything is new.
    first = round_line(produce_once(config, feeds_file))
    assert first["outcomes"] == {"ok": 3}
    records = read_all(config, 7)
    assert len(records) == 7
    by_key: dict[bytes, list[Any]] = {}
    schema_id = schemas.schema_id("raw-article").encode()
    for record in records:
        headers = dict(record.headers)
        assert headers["content-type"] == b"application/json" and headers["schema"] == schema_id
        value = codec.loads(record.value)
        schemas.validate("raw-article", value)
        assert record.key == value["article_id"].encode()
        by_key.setdefault(record.key, []).append(value)
    assert len(by_key) == 7
    producers_used = {v[0]["producer"]["name"] for v in by_key.values()}
    assert producers_used == {"rss", "jsonfeed"}

    # Run 2, a new process on the same state dir: nothing changed, nothing emitted; the ETag feed got a 304.
    requests_before = len(feed_server.requests)
    second = round_line(produce_once(config, feeds_file))
    assert second["outcomes"] == {"not_modified": 1, "ok": 2}
    assert ("/etag.xml", 304) in feed_server.requests[requests_before:]
    assert len(read_all(config, 7)) == 7

    # Run 3: one entry edited in each feed (one title, one summary via a new item text): emitted again, same key.
    feed_server.documents["/etag.xml"] = (
        rss([("a1", "Alpha one"), ("a2", "Alpha two, corrected"), ("a3", "Alpha three")]), "application/rss+xml", True,
    )  # fmt: skip
    feed_server.documents["/plain.xml"] = (rss([("b1", "Beta one (updated)"), ("b2", "Beta two")]), "text/xml", False)
    third = round_line(produce_once(config, feeds_file))
    assert third["outcomes"] == {"ok": 3}
    records = read_all(config, 9)
    assert len(records) == 9
    titles = [codec.loads(r.value)["entry"]["title"] for r in records]
    assert titles.count("Alpha two, corrected") == 1 and titles.count("Beta one (updated)") == 1
    for record in records:
        value = codec.loads(record.value)
        if value["entry"]["title"] in ("Alpha two, corrected", "Beta one (updated)"):
            assert record.key in by_key  # same article id as the first version
            previous = by_key[record.key][0]
            assert previous["entry"]["fingerprint"] != value["entry"]["fingerprint"]


def test_feeds_status_after_a_run(kafka_config: Config, feed_server: FeedServer, tmp_path: Path) -> None:
    config = kafka_config
    create_raw_topic(config)
    feed_server.documents = {"/ok.xml": (rss([("x", "X")]), "application/rss+xml", True)}
    feeds_file = tmp_path / "feeds.toml"
    feeds_file.write_text(
        f'[[feeds]]\nurl = "{feed_server.base}/ok.xml"\nname = "Good"\n\n'
        f'[[feeds]]\nurl = "{feed_server.base}/missing.xml"\nname = "Missing"\n\n'
        f'[[feeds]]\nurl = "{feed_server.base}/never.xml"\nname = "Off"\nenabled = false\n'
    )
    produce_once(config, feeds_file, expect=3)  # partial: one of the two enabled feeds is missing
    env = {**os.environ, "NEWSSTREAM_STATE_DIR": str(config.state_dir)}
    proc = subprocess.run(
        [sys.executable, "-m", "newsstream.cli", "feeds", "status", "--json", "--feeds", str(feeds_file)],
        env=env, capture_output=True, text=True, timeout=60, check=True,
    )  # fmt: skip
    rows = {r["name"]: r for r in map(orjson.loads, proc.stdout.splitlines())}
    assert rows["Good"]["state"] == "ok" and rows["Good"]["last_outcome"] == "ok"
    assert rows["Missing"]["state"] == "backoff" and "404" in rows["Missing"]["last_error"]
    assert rows["Missing"]["next_due_at"] is not None
    assert rows["Off"]["state"] == "off"


class _Done:
    """A completed send future (the attributes of kafka-python's FutureRecordMetadata the loop reads)."""

    def __init__(self, exception: Exception | None) -> None:
        self.is_done = True
        self.exception = exception

    def failed(self) -> bool:
        return self.exception is not None


class FlakySender:
    """A KafkaSender whose sends fail for titles containing ``fail``; records what succeeded."""

    def __init__(self) -> None:
        self.sent: list[dict[str, Any]] = []
        self.fail = True

    def send(self, topic: str, value: bytes, key: bytes, headers: list[tuple[str, bytes]]) -> Any:
        from kafka.errors import KafkaTimeoutError

        article = codec.loads(value)
        if self.fail and "fail" in article["entry"]["title"]:
            return _Done(KafkaTimeoutError("simulated: delivery timed out after retries"))
        self.sent.append(article)
        return _Done(None)

    def flush(self, timeout: float | None = None) -> None:
        pass


def test_failed_send_is_counted_logged_and_retried(
    feed_server: FeedServer, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    import asyncio

    from producers.feeds import FeedConfig
    from producers.stage import ProduceStage
    from producers.state import StateStore

    feed_server.documents = {"/f.xml": (rss([("ok", "fine"), ("bad", "will fail")]), "application/rss+xml", True)}
    feed = FeedConfig(url=f"{feed_server.base}/f.xml", name="F")
    config = Config(allow_private_addresses=True, state_dir=tmp_path / "state")
    sender = FlakySender()

    def run_once() -> Any:
        with StateStore(config.state_dir) as state:
            stage = ProduceStage(config, [feed], sender=sender, state=state)
            totals = asyncio.run(stage.run(once=True))
            return stage, totals

    stage, totals = run_once()
    assert (totals.emitted, totals.send_failures) == (1, 1)
    assert stage.registry.get_sample_value("newsstream_producer_send_failures_total") == 1
    assert any("send failed" in r.getMessage() and "site.example/bad" in r.getMessage() for r in caplog.records)
    # The failed entry was not recorded and the validators were not advanced: the next poll is a
    # full 200 (not a 304) and emits exactly the entry that failed.
    sender.fail = False
    requests_before = len(feed_server.requests)
    stage, totals = run_once()
    assert feed_server.requests[requests_before:] == [("/f.xml", 200)], feed_server.requests
    assert (totals.emitted, totals.send_failures, totals.skipped) == (1, 0, 1)
    assert [a["entry"]["title"] for a in sender.sent] == ["fine", "will fail"]
    # Now everything is recorded: a third poll is a 304 and emits nothing.
    stage, totals = run_once()
    assert (totals.emitted, totals.not_modified) == (0, 1)
