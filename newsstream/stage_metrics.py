"""Metrics every consuming stage exports, built on a registry the stage is given."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram

LATENCY_BUCKETS = (0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 900, 3600)
PROCESSING_BUCKETS = (0.0001, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1)


class StageMetrics:
    """Counters, gauges and histograms of the consume→transform→produce loop, labelled by stage."""

    def __init__(self, stage: str, registry: CollectorRegistry) -> None:
        self.stage = stage
        self.registry = registry
        self.consumed = Counter(
            "newsstream_messages_consumed", "Messages consumed", ["stage", "topic"], registry=registry
        )
        self.produced = Counter(
            "newsstream_messages_produced",
            "Messages produced (committed transactions)",
            ["stage", "topic"],
            registry=registry,
        )
        self.dlq = Counter(
            "newsstream_dlq_messages", "Messages sent to the dead-letter topic", ["stage", "reason"], registry=registry
        )
        self.processing = Histogram(
            "newsstream_processing_seconds",
            "Time to transform one message",
            ["stage"],
            buckets=PROCESSING_BUCKETS,
            registry=registry,
        )
        self.lag = Gauge(
            "newsstream_consumer_lag",
            "Records behind the high watermark",
            ["stage", "topic", "partition"],
            registry=registry,
        )
        self.transactions = Counter(
            "newsstream_transactions", "Kafka transactions by outcome", ["stage", "outcome"], registry=registry
        )
        self.latency = Histogram(
            "newsstream_end_to_end_latency_seconds",
            "From the feed fetch (fetched_at) to this stage's output",
            ["stage"],
            buckets=LATENCY_BUCKETS,
            registry=registry,
        )
        self.ready = Gauge(
            "newsstream_stage_ready", "1 when the stage has partitions assigned", ["stage"], registry=registry
        )
        # Pre-initialise bounded label values so dashboards and alerts see zeros, not gaps.
        for reason in ("decode", "schema", "transform", "too_large"):
            self.dlq.labels(stage, reason)
        for outcome in ("commit", "abort"):
            self.transactions.labels(stage, outcome)
        self.processing.labels(stage)
        self.latency.labels(stage)
        self.ready.labels(stage).set(0)
