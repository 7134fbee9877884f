"""The correction detector stage on the real broker: the seed scenario, replays, SIGKILL and restore."""

from __future__ import annotations

import signal
import subprocess
import sys
import uuid
from pathlib import Path
from typing import Any

import pytest

import schemas
from consumers.normalize import normalize
from newsstream import codec
from newsstream.config import Config
from newsstream.kafka_clients import make_producer
from newsstream.messages import headers_for
from newsstream.topics import create_topics
from tests.conftest import corpus_path
from tests.integration.helpers import raw_article, read_committed, start_stage, wait_http

pytestmark = pytest.mark.integration
EARLIER = "US downs Turkish drone in northeast Syria: War monitor"
CORRECTED = "Iraqi militia claims to target US forces in Syria"
PUBLISHER = "Rudaw"


def seed_articles(corrected_title: str = CORRECTED) -> tuple[dict[str, Any], dict[str, Any]]:
    """The earlier piece (our own words) and the corrected article (the seed, read in place), normalized."""
    seed = corpus_path("seed", "rudaw-correction.txt").read_text(encoding="utf-8")
    paragraphs = [p.strip() for p in seed.split("\n\n") if p.strip()][1:]  # the first line is the title
    earlier = raw_article(
        1,
        publisher=PUBLISHER,
        title=EARLIER,
        link="https://www.rudaw.net/english/a/1",
        paragraphs=[
            "A war monitor said a drone was brought down over the northeast of Syria.",
            "The monitor said the aircraft had come from the north.",
        ],
    )
    corrected = raw_article(
        2, publisher=PUBLISHER, title=corrected_title, link="https://www.rudaw.net/english/a/2", paragraphs=paragraphs
    )
    return normalize(earlier), normalize(corrected)


def send_normalized(config: Config, articles: list[dict[str, Any]]) -> None:
    producer = make_producer(config.kafka)
    for article in articles:
        producer.send(
            config.topics.normalized,
            key=article["id"].encode(),
            value=codec.dumps(article),
            headers=headers_for("normalized-article"),
        )
    producer.flush()
    producer.close()


def send_in_order(config: Config, port: int, articles: list[dict[str, Any]]) -> None:
    """Send one article at a time, each after the stage consumed the previous one.

    Articles with different ids live on different partitions, and Kafka orders nothing across
    partitions; the offline CLI reads lines in order. Waiting makes "earlier" mean earlier for both.
    """
    import urllib.request

    from prometheus_client.parser import text_string_to_metric_families

    from devtools.liveview import total

    def consumed() -> float:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=2) as response:  # noqa: S310
            text = response.read().decode()
        samples = [(s.name, s.labels, s.value) for f in text_string_to_metric_families(text) for s in f.samples]
        return total(samples, "newsstream_messages_consumed_total")

    import time

    for article in articles:
        before = consumed()
        send_normalized(config, [article])
        deadline = time.monotonic() + 30
        while consumed() <= before:
            assert time.monotonic() < deadline, "the detector did not consume the article within 30 s"
            time.sleep(0.1)


def detector(config: Config, tmp_path: Path, port: int, group: str) -> subprocess.Popen[bytes]:
    process = start_stage(
        config,
        ["detect-corrections", "--group", group, "--instance-id", "det-1", "--max-batch", "25"],
        tmp_path / "detector.log",
        port,
    )
    wait_http(f"http://127.0.0.1:{port}/readyz", timeout_s=90)
    return process


def events_of(records: list) -> list[dict[str, Any]]:
    return [codec.loads(r.value) for r in records]


def test_seed_scenario_correction_linked_update_and_replay_is_silent(kafka_config: Config, tmp_path: Path) -> None:
    create_topics(kafka_config)
    earlier, corrected = seed_articles()
    group = f"g-{uuid.uuid4().hex[:6]}"
    stage = detector(kafka_config, tmp_path, 19711, group)
    try:
        send_in_order(kafka_config, 19711, [earlier, corrected])
        records = read_committed(kafka_config, kafka_config.topics.corrections, 2, quiet_s=3)
        events = events_of(records)
        kinds = sorted(e["type"] for e in events)
        assert kinds == ["correction", "update"], kinds
        correction = next(e for e in events if e["type"] == "correction")
        assert correction["article_id"] == corrected["id"]
        assert correction["referenced_article"]["title"] == EARLIER
        assert correction["referenced_article"]["article_id"] == earlier["id"]
        assert "This corrects a previous piece titled" in correction["evidence"]["notice_text"]
        for record in records:
            schemas.validate("correction-event", codec.loads(record.value))
            headers = dict(record.headers)
            assert headers["ce_specversion"] == b"1.0"
            assert headers["ce_type"] == f"news.article.{codec.loads(record.value)['type']}".encode()
            assert headers["ce_subject"] == corrected["id"].encode()
            assert headers["content-type"] == b"application/json"

        send_normalized(kafka_config, [earlier, corrected])  # a replay of the same versions
        again = read_committed(kafka_config, kafka_config.topics.corrections, 3, timeout_s=8, quiet_s=2)
        assert len(again) == 2, "replaying the same versions must produce no new events"
    finally:
        stage.send_signal(signal.SIGTERM)
        assert stage.wait(15) == 0


def test_sigkill_restart_restores_state_versions_continue_no_loss_or_duplicates(
    kafka_config: Config, tmp_path: Path
) -> None:
    create_topics(kafka_config)
    group = f"g-{uuid.uuid4().hex[:6]}"
    n = 120

    # Each article gets three versions: v1, a headline edit (v2), a changed number in a sentence (v3).
    def version(i: int, v: int) -> dict[str, Any]:
        title = f"Ferry timetable {i} published" if v == 1 else f"Ferry timetable {i} published after delay"
        boats = "four" if v < 3 else "five"
        return normalize(
            raw_article(
                i,
                publisher="Harbour Post",
                title=title,
                paragraphs=[
                    f"The harbour authority said {boats} boats would run on route {i} from Monday.",
                    "Passengers were told to check the notice boards at each pier before travelling.",
                ],
            )
        )

    stage = detector(kafka_config, tmp_path, 19712, group)
    send_normalized(kafka_config, [version(i, 1) for i in range(n)] + [version(i, 2) for i in range(n)])
    read_committed(kafka_config, kafka_config.topics.corrections, n // 2, timeout_s=60, quiet_s=0)
    stage.send_signal(signal.SIGKILL)
    stage.wait(10)
    send_normalized(kafka_config, [version(i, 3) for i in range(n)])
    stage = detector(kafka_config, tmp_path, 19712, group)
    try:
        records = read_committed(kafka_config, kafka_config.topics.corrections, 2 * n, timeout_s=120, quiet_s=4)
    finally:
        stage.send_signal(signal.SIGTERM)
        stage.wait(15)
    events = events_of(records)
    by_type: dict[str, list[dict[str, Any]]] = {}
    for event in events:
        by_type.setdefault(event["type"], []).append(event)
    assert sorted(by_type) == ["content_change", "headline_change"], sorted(by_type)
    assert len(by_type["headline_change"]) == n, "a headline event was lost or duplicated across the SIGKILL"
    assert len(by_type["content_change"]) == n
    assert {e["version"] for e in by_type["headline_change"]} == {2}
    assert {e["version"] for e in by_type["content_change"]} == {3}, "versions must continue after a restore"
    assert all(e["previous"]["version"] == 2 for e in by_type["content_change"])
    changed = by_type["content_change"][0]["diff"]["changed_sentences"]
    assert changed and "five boats" in str(changed)
    assert len({e["event_id"] for e in events}) == len(events)


def test_offline_detect_cli_agrees_with_the_stage(kafka_config: Config, tmp_path: Path) -> None:
    create_topics(kafka_config)
    earlier, corrected = seed_articles()
    edited = seed_articles(CORRECTED + " base")[1]  # a headline edit of the corrected article
    articles = [earlier, corrected, edited]
    stage = detector(kafka_config, tmp_path, 19713, f"g-{uuid.uuid4().hex[:6]}")
    try:
        send_in_order(kafka_config, 19713, articles)
        from_stage = events_of(read_committed(kafka_config, kafka_config.topics.corrections, 3, quiet_s=3))
    finally:
        stage.send_signal(signal.SIGTERM)
        stage.wait(15)
    lines = b"".join(codec.dumps(a) + b"\n" for a in articles)
    offline = subprocess.run(
        [sys.executable, "-m", "newsstream.cli", "detect", "-"], input=lines, capture_output=True, timeout=60
    )
    assert offline.returncode == 0, offline.stderr.decode()
    from_cli = [codec.loads(line) for line in offline.stdout.splitlines() if line.strip()]

    def comparable(events: list[dict[str, Any]]) -> list[tuple]:
        return sorted((e["event_id"], e["type"], e["version"], str(e.get("referenced_article"))) for e in events)

    assert comparable(from_stage) == comparable(from_cli)
    assert len(from_cli) >= 3
