"""What one produce round carries from the polls to the flush: its counts, and each polled feed.

A round sends every new version it polled, flushes the Kafka client once, and only then records
each feed's state (:mod:`producers.record`). Between the two it keeps, per feed, a
:class:`PendingFeed`: the send outcomes with only each sent entry's identity (:func:`slim`), never
its text or the fetched body, so a round's memory does not grow with every feed it polled.
"""

from __future__ import annotations

import calendar
import dataclasses
import math
import time
from dataclasses import dataclass, field
from typing import Any, Protocol

from producers.base import PollResult
from producers.feeds import FeedConfig
from producers.schedule import FeedTiming
from producers.state import FeedState

RAW_HEADERS_CONTENT_TYPE = ("content-type", b"application/json")


class KafkaSender(Protocol):
    """The slice of ``kafka.KafkaProducer`` the loop uses (tests may pass a fake)."""

    def send(self, topic: str, value: bytes, key: bytes, headers: list[tuple[str, bytes]]) -> Any: ...

    def flush(self, timeout: float | None = None) -> None: ...


@dataclass
class RoundStats:
    """What one round did (the INFO progress line)."""

    polled: int = 0
    fetched: int = 0
    not_modified: int = 0
    errors: int = 0
    emitted: int = 0
    skipped: int = 0
    send_failures: int = 0
    dead_lettered: int = 0
    outcomes: dict[str, int] = field(default_factory=dict)

    def add(self, other: RoundStats) -> None:
        for name in (
            "polled",
            "fetched",
            "not_modified",
            "errors",
            "emitted",
            "skipped",
            "send_failures",
            "dead_lettered",
        ):
            setattr(self, name, getattr(self, name) + getattr(other, name))
        for key, value in other.outcomes.items():
            self.outcomes[key] = self.outcomes.get(key, 0) + value


@dataclass
class PendingFeed:
    """One polled feed waiting for the flush before its state is recorded."""

    feed: FeedConfig
    state: FeedState
    result: PollResult
    sends: list[tuple[dict[str, Any], Any]] = field(default_factory=list)  # (slim article, future or exception)
    seen: list[str] = field(default_factory=list)
    entry_times: list[float] = field(default_factory=list)


def slim(article: dict[str, Any], size: int) -> dict[str, Any]:
    """What the round keeps of a sent article: its identity and what the logs name, not its text."""
    entry = article["entry"]
    kept = {k: entry.get(k) for k in ("guid", "link", "fingerprint")}
    kept["title"] = str(entry.get("title") or "")[:300]
    return {"article_id": article["article_id"], "fetched_at": article["fetched_at"], "feed": article.get("feed"),
            "entry": kept, "bytes": size}  # fmt: skip


def entry_time(article: dict[str, Any]) -> float | None:
    """The entry's published (else updated) time in epoch seconds, for the schedule's rate estimate."""
    entry = article["entry"]
    for key in ("published", "updated"):
        value = entry.get(key)
        if value and value.get("utc"):
            try:
                return float(calendar.timegm(time.strptime(value["utc"][:19], "%Y-%m-%dT%H:%M:%S")))
            except ValueError:
                continue
    return None


def timing_from_state(state: FeedState) -> FeedTiming:
    """The schedule's view of a feed from its stored state (unknown keys of older rows are dropped)."""
    data = dict(state.timing or {})
    known = {f.name for f in dataclasses.fields(FeedTiming)}
    data = {k: v for k, v in data.items() if k in known}
    if data.get("next_due") is None:
        data["next_due"] = math.inf if data.get("disabled") else 0.0
    return FeedTiming(**data)


def timing_to_dict(timing: FeedTiming) -> dict[str, Any]:
    """Inverse of :func:`timing_from_state` (a disabled feed's infinite due time is stored as None)."""
    data = dataclasses.asdict(timing)
    if not math.isfinite(data["next_due"]):
        data["next_due"] = None
    return data
