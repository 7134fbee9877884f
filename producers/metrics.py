"""The produce stage's metrics, built on a registry it is given (no global state).

Label values are bounded: outcomes are a fixed set, producer types are the installed ones, and the
per-feed gauge (last success time) is exported only while the feed list is at most
``per_feed_limit`` feeds long (default 500), so a list of thousands cannot blow up cardinality.
"""

from __future__ import annotations

from collections.abc import Iterable

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram

from newsstream.stage_metrics import LATENCY_BUCKETS

FETCH_OUTCOMES = (
    "ok", "not_modified", "http_error", "timeout", "parse_error", "too_large", "blocked",
    "network_error", "gone", "rate_limited", "error",
)  # fmt: skip
FETCH_BUCKETS = (0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60)
STAGE = "produce"


class ProducerMetrics:
    """Everything ``newsstream produce`` exports on ``/metrics``."""

    def __init__(self, registry: CollectorRegistry, types: Iterable[str] = ("rss",), per_feed_limit: int = 500) -> None:
        self.registry = registry
        self.per_feed_limit = per_feed_limit
        self.fetches = Counter(
            "newsstream_feed_fetches", "Feed polls by outcome", ["type", "outcome"], registry=registry
        )
        self.fetch_seconds = Histogram(
            "newsstream_feed_fetch_duration_seconds",
            "Time to fetch one feed (all redirects and the body)",
            ["type"],
            buckets=FETCH_BUCKETS,
            registry=registry,
        )
        self.bytes = Counter("newsstream_feed_bytes", "Body bytes read from feeds (decoded)", registry=registry)
        self.entries = Counter(
            "newsstream_feed_entries",
            "Feed entries by what happened: emitted (new or changed), skipped (unchanged), no_identity, "
            "bad (empty, or mapping it failed; the rest of its feed is kept)",
            ["result"],
            registry=registry,
        )
        self.bozo = Counter(
            "newsstream_feed_bozo", "Documents that were not well-formed (entries may still be recovered)",
            ["recovered"], registry=registry,
        )  # fmt: skip
        self.send_failures = Counter(
            "newsstream_producer_send_failures",
            "RawArticles whose Kafka send failed after retries (re-emitted on the next poll)",
            registry=registry,
        )
        self.produced = Counter(
            "newsstream_messages_produced", "Messages produced (acknowledged)", ["stage", "topic"], registry=registry
        )
        self.latency = Histogram(
            "newsstream_end_to_end_latency_seconds",
            "From the feed fetch (fetched_at) to this stage's output",
            ["stage"],
            buckets=LATENCY_BUCKETS,  # the same buckets as every stage, so dashboards can compare them
            registry=registry,
        )
        self.feeds = Gauge(
            "newsstream_feeds", "Feeds of this instance by state: active, backoff, disabled", ["state"],
            registry=registry,
        )  # fmt: skip
        self.last_success = Gauge(
            "newsstream_feed_last_success_timestamp_seconds",
            "Unix time of the last successful poll (200 or 304) per feed (only for small feed lists)",
            ["feed"],
            registry=registry,
        )
        self.rounds = Counter("newsstream_producer_rounds", "Scheduling rounds completed", registry=registry)
        self.permanent_redirects = Counter(
            "newsstream_feed_permanent_redirects", "Feed URLs updated after a 301/308", registry=registry
        )
        for type_name in types:
            self.fetch_seconds.labels(type_name)
            for outcome in FETCH_OUTCOMES:
                self.fetches.labels(type_name, outcome)
        for result in ("emitted", "skipped", "no_identity", "bad"):
            self.entries.labels(result)
        for recovered in ("true", "false"):
            self.bozo.labels(recovered)
        for state in ("active", "backoff", "disabled"):
            self.feeds.labels(state).set(0)
        self.latency.labels(STAGE)

    def add_type(self, type_name: str) -> None:
        """Pre-initialise the label values of a producer type (after a feed list reload)."""
        self.fetch_seconds.labels(type_name)
        for outcome in FETCH_OUTCOMES:
            self.fetches.labels(type_name, outcome)

    def feed_success(self, feed_url: str, when: float, feed_count: int) -> None:
        if feed_count <= self.per_feed_limit:
            self.last_success.labels(feed_url).set(when)
