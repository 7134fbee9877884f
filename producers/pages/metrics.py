"""The pages stage's metrics, on a registry it is given. Every label set is fixed and small."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram

from producers.metrics import FETCH_BUCKETS, FETCH_OUTCOMES
from producers.pages.revisit import OUTCOMES

STAGE = "pages"


class PagesMetrics:
    """Revisits due/done/overdue, fetch outcomes, extraction failures, robots refusals, schedule size.
    (Messages, transactions and readiness are the shared runner's :class:`StageMetrics`.)"""

    def __init__(self, registry: CollectorRegistry) -> None:
        self.registry = registry
        self.due = Counter("newsstream_page_revisits_due", "Revisits that came due (queued)", registry=registry)
        self.done = Counter("newsstream_page_revisits", "Revisits done, by outcome", ["outcome"], registry=registry)
        self.overdue = Counter(
            "newsstream_page_revisits_overdue",
            "Revisits started later than their step's tolerance (10% of the step, 1 s to 1 h)",
            registry=registry,
        )
        self.lateness = Histogram(
            "newsstream_page_revisit_lateness_seconds",
            "Time from a revisit's due time to its start",
            buckets=(1, 5, 15, 60, 300, 900, 3600, 4 * 3600, 86400),
            registry=registry,
        )
        self.fetches = Counter(
            "newsstream_page_fetches", "Page fetches by outcome (the Fetcher's outcomes)", ["outcome"],
            registry=registry,
        )  # fmt: skip
        self.fetch_seconds = Histogram(
            "newsstream_page_fetch_duration_seconds", "Time to fetch one page", buckets=FETCH_BUCKETS,
            registry=registry,
        )  # fmt: skip
        self.extraction_failures = Counter(
            "newsstream_page_extraction_failures", "Pages fetched whose main text could not be extracted",
            registry=registry,
        )  # fmt: skip
        self.robots_refusals = Counter(
            "newsstream_page_robots_refusals", "Revisits skipped because robots.txt disallows the URL",
            registry=registry,
        )  # fmt: skip
        self.robots_fetches = Counter(
            "newsstream_page_robots_fetches", "robots.txt documents fetched", registry=registry
        )
        self.emitted = Counter(
            "newsstream_page_versions", "RawArticles sent from page revisits, by kind (article, gone)", ["kind"],
            registry=registry,
        )  # fmt: skip
        self.learned = Counter(
            "newsstream_page_articles_learned", "Articles scheduled on their first sighting", registry=registry
        )
        self.finished = Counter(
            "newsstream_page_schedules_finished", "Schedules ended (last step done, or page gone)", registry=registry
        )
        self.scheduled = Gauge("newsstream_page_schedule_entries", "Articles scheduled for revisits", registry=registry)
        self.backlog = Gauge(
            "newsstream_page_revisit_backlog", "Due revisits waiting for their host's turn", registry=registry
        )
        self.in_flight = Gauge("newsstream_page_revisits_in_flight", "Revisits being fetched", registry=registry)
        self.restore_seconds = Gauge(
            "newsstream_page_schedule_restore_seconds", "Seconds the last schedule restore took", registry=registry
        )
        for outcome in OUTCOMES:
            self.done.labels(outcome)
        for outcome in FETCH_OUTCOMES:
            self.fetches.labels(outcome)
        for kind in ("article", "gone"):
            self.emitted.labels(kind)
