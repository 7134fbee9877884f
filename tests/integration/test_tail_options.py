"""`newsstream tail` for people and for pipes: diffs without `None`, a typo in --type named,
--timeout that ends even when nothing matches, --json lines."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable

import pytest

from newsstream.config import KafkaSettings
from newsstream.kafka_clients import make_producer
from tests.integration.test_tail_and_example_consumer import EVENT, ce_headers

pytestmark = pytest.mark.integration

CHANGED = {
    **EVENT,
    "event_id": "c0ffee00c0ffee00c0ffee00c0ffee00",
    "type": "content_change",
    "evidence": {"method": "diff", "notice_text": None, "span": None},
    "diff": {
        "title_changed": False,
        "words_added": 9,
        "words_removed": 6,
        "changed_sentences": [
            {"before": None, "after": "The council will vote again in March."},
            {"before": "The toll starts in May.", "after": None},
        ],
    },
    "referenced_article": None,
}


def _tail(bootstrap: str, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "KAFKA_BOOTSTRAP_SERVERS": bootstrap}
    return subprocess.run(
        [sys.executable, "-m", "newsstream.cli", "tail", *args], env=env, capture_output=True, text=True, timeout=90
    )


@pytest.fixture
def events_topic(kafka_bootstrap: str, new_topic: Callable[..., str]) -> str:
    topic = new_topic("tail-opts", partitions=2)
    producer = make_producer(KafkaSettings(bootstrap_servers=kafka_bootstrap))
    for event in (EVENT, CHANGED):
        producer.send(topic, json.dumps(event).encode(), key=event["article_id"].encode(), headers=ce_headers(event))
    producer.flush(10)
    producer.close()
    return topic


def test_added_and_removed_sentences_show_one_side(kafka_bootstrap: str, events_topic: str) -> None:
    result = _tail(kafka_bootstrap, events_topic, "--from-beginning", "--timeout", "2")
    assert result.returncode == 0, result.stderr
    assert "+ 'The council will vote again in March.'" in result.stdout
    assert "- 'The toll starts in May.'" in result.stdout
    assert "None" not in result.stdout
    assert "-- 2 message(s)" in result.stderr


def test_a_misspelt_type_is_an_error_naming_the_types(kafka_bootstrap: str, events_topic: str) -> None:
    result = _tail(kafka_bootstrap, events_topic, "--type", "corection", "--from-beginning", "--timeout", "2")
    assert result.returncode == 2
    assert "did you mean correction?" in result.stderr and "headline_change" in result.stderr


def test_timeout_ends_a_filter_that_matches_nothing(kafka_bootstrap: str, events_topic: str) -> None:
    result = _tail(kafka_bootstrap, events_topic, "--type", "retraction", "--from-beginning", "--timeout", "1")
    assert result.returncode == 0, result.stderr
    assert result.stdout == "" and "-- 0 message(s)" in result.stderr


def test_json_lines_for_pipes(kafka_bootstrap: str, events_topic: str) -> None:
    result = _tail(kafka_bootstrap, events_topic, "--from-beginning", "--timeout", "2", "--json")
    rows = [json.loads(line) for line in result.stdout.splitlines()]
    assert sorted(r["value"]["type"] for r in rows) == ["content_change", "correction"]
    row = next(r for r in rows if r["value"]["type"] == "correction")
    assert row["topic"] == events_topic and row["key"] == EVENT["article_id"]
    assert row["headers"]["ce_type"] == "news.article.correction" and row["timestamp"].endswith("Z")
