"""The `publisher` label of newsstream_corrections_total stays bounded: named publishers, or the
first N seen, and `other` for the rest; the detect stage counts real events under it."""

from __future__ import annotations

from kafka.consumer.fetcher import ConsumerRecord
from prometheus_client import CollectorRegistry

from consumers.detect_stage import DetectStage
from consumers.normalize import normalize
from newsstream import codec
from newsstream.bounded_labels import BoundedLabel
from newsstream.config import Config
from tests.integration.helpers import raw_article


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
    paragraphs = ["The harbour board approved the toll after a long debate.", "It starts in May."]
    versions = [
        normalize(raw_article(1, publisher="Harbour Gazette", title=title, link="https://h.example/a/1",
                              paragraphs=paragraphs))
        for title in ("Council backs bridge toll", "Council backs Harbour Bridge toll after five-hour debate")
    ]  # fmt: skip
    for offset, article in enumerate(versions):
        stage.process(_record(article, offset))
    kind, publisher = "headline_change", "Harbour Gazette"
    own = registry.get_sample_value("newsstream_corrections_total", {"type": kind, "publisher": publisher})
    other = registry.get_sample_value("newsstream_corrections_total", {"type": kind, "publisher": "other"})
    named = registry.get_sample_value("newsstream_corrections_total", {"type": kind, "publisher": "Nobody"})
    assert own is None  # not named: no series of its own
    assert other is not None and other >= 1
    assert named == 0  # named publishers exist from the start
