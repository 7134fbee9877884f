"""The `publisher` label of newsstream_corrections_total stays bounded: named publishers, or the
first N seen, and `other` for the rest; the detect stage counts real events under it."""

from __future__ import annotations

from kafka.consumer.fetcher import ConsumerRecord
from prometheus_client import CollectorRegistry

from consumers.detect_stage import DetectStage
from newsstream import codec
from newsstream.bounded_labels import BoundedLabel
from newsstream.config import Config
from tests.integration.test_detect_stage import seed_articles


def test_named_publishers_and_the_rest_other() -> None:
    label = BoundedLabel(["Rudaw", "Harbour Gazette"], slots=99)
    assert [label.value(p) for p in ("Rudaw", "Elsewhere", None, "Harbour Gazette")] == [
        "Rudaw", "other", "other", "Harbour Gazette",
    ]  # fmt: skip


def test_first_come_slots_are_bounded() -> None:
    label = BoundedLabel(slots=2)
    values = [label.value(f"p{i}") for i in range(5)] + [label.value("p0")]
    assert values == ["p0", "p1", "other", "other", "other", "p0"]
    assert label.known() == ("p0", "p1")


def _record(article: dict[str, object], offset: int) -> ConsumerRecord:
    value = codec.dumps(article)
    return ConsumerRecord("t", 0, None, offset, 0, 0, article["id"].encode(), value, [], None, 0, len(value), 0)  # type: ignore[attr-defined]


def test_detect_stage_counts_events_by_publisher() -> None:
    registry = CollectorRegistry()
    stage = DetectStage(Config().with_overrides(metrics_publishers=("Nobody",)))
    stage.bind_metrics(registry)
    for offset, article in enumerate(seed_articles()):
        stage.process(_record(article, offset))
    publisher = seed_articles()[1]["publisher"]
    own = registry.get_sample_value("newsstream_corrections_total", {"type": "correction", "publisher": publisher})
    other = registry.get_sample_value("newsstream_corrections_total", {"type": "correction", "publisher": "other"})
    named = registry.get_sample_value("newsstream_corrections_total", {"type": "correction", "publisher": "Nobody"})
    assert own is None  # not named: no series of its own
    assert other is not None and other >= 1
    assert named == 0  # named publishers exist from the start
