"""The terminal view of a running pipeline: per-stage counts from /metrics and each correction event."""

from __future__ import annotations

import urllib.request
from collections.abc import Iterable
from typing import Any

from prometheus_client.parser import text_string_to_metric_families

Sample = tuple[str, dict[str, str], float]

#: What the view shows per stage: (label, metric sample name, label values that must match).
STAGE_COUNTERS: dict[str, list[tuple[str, str, dict[str, str]]]] = {
    "producer": [
        ("fetched", "newsstream_feed_fetches_total", {}),
        ("emitted", "newsstream_feed_entries_total", {"result": "emitted"}),
    ],
    "normalize": [
        ("in", "newsstream_messages_consumed_total", {}),
        ("out", "newsstream_messages_produced_total", {}),
        ("dlq", "newsstream_dlq_messages_total", {}),
    ],
    "detect": [
        ("in", "newsstream_messages_consumed_total", {}),
        ("events", "newsstream_corrections_total", {}),
        ("dlq", "newsstream_dlq_messages_total", {}),
    ],
    "pages": [
        ("due", "newsstream_page_revisits_due_total", {}),
        ("revisited", "newsstream_page_revisits_total", {}),
    ],
}


def scrape(port: int, host: str = "127.0.0.1", timeout_s: float = 1.0) -> list[Sample]:
    """Every sample at ``host:port/metrics``; [] when the endpoint does not answer."""
    try:
        with urllib.request.urlopen(f"http://{host}:{port}/metrics", timeout=timeout_s) as response:  # noqa: S310
            text = response.read().decode("utf-8", "replace")
    except OSError:
        return []
    return [(s.name, s.labels, s.value) for f in text_string_to_metric_families(text) for s in f.samples]


def total(samples: list[Sample], name: str, labels: dict[str, str] | None = None) -> float:
    """Sum of the samples named ``name`` whose labels include ``labels``."""
    want = (labels or {}).items()
    return sum(value for n, have, value in samples if n == name and want <= have.items())


def status_line(samples: dict[str, list[Sample]]) -> str:
    """``producer fetched 12 emitted 9 | normalize in 9 out 9 dlq 0 | detect in 9 events 3 dlq 0``."""
    parts = []
    for stage, counters in STAGE_COUNTERS.items():
        values = samples.get(stage)
        if not values:
            parts.append(f"{stage} (starting)")
            continue
        shown = " ".join(f"{label} {total(values, name, labels):.0f}" for label, name, labels in counters)
        parts.append(f"{stage} {shown}")
    return " | ".join(parts)


def describe_event(event: dict[str, Any]) -> str:
    """One line per correction event: type, article title, referenced title."""
    line = f"  ▶ {event.get('type', '?'):15} v{event.get('version', '?')}  “{event.get('title') or ''}”"
    ref = event.get("referenced_article")
    if ref:
        resolved = (
            f"{ref.get('article_id')} (score {ref.get('score', 0):.2f})" if ref.get("article_id") else "unresolved"
        )
        line += f"\n      corrects “{ref.get('title')}” → {resolved}"
    return line


def missing_events(expected: Iterable[dict[str, Any]], seen: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
    """Required expected events (matched by type and title, with multiplicity) not yet seen."""
    pool: dict[tuple[str, str], int] = {}
    for event in seen:
        key = (str(event.get("type")), str(event.get("title")))
        pool[key] = pool.get(key, 0) + 1
    missing = []
    for want in expected:
        if not want.get("required", True):
            continue
        key = (str(want["type"]), str(want["title"]))
        if pool.get(key, 0) > 0:
            pool[key] -= 1
        else:
            missing.append(want)
    return missing


class LiveView:
    """Events scroll above one status line that redraws in place on a terminal.

    On a terminal the status line is rewritten with ``\\r`` and erase-line (ANSI ``ESC[2K``) and each
    event is printed above it; when output is a pipe or a file every status change is its own line
    (with the elapsed time), so logs stay readable.
    """

    ERASE = "\r\x1b[2K"

    def __init__(self, out: Any, tty: bool | None = None) -> None:
        self.out = out
        self.tty = out.isatty() if tty is None else tty
        self.status_text = ""

    def _clear(self) -> None:
        if self.tty and self.status_text:
            self.out.write(self.ERASE)

    def line(self, text: str) -> None:
        """A line that stays (an event, a notice), above the status line."""
        self._clear()
        self.out.write(text + "\n")
        if self.tty and self.status_text:
            self.out.write(self.status_text)
        self.out.flush()

    def status(self, text: str, elapsed_s: float) -> None:
        """Show the status line (in place on a terminal; a new line elsewhere, only when it changed)."""
        stamped = f"[{elapsed_s:5.0f}s] {text}"
        if self.tty:
            self._clear()
            self.status_text = stamped
            self.out.write(stamped)
        elif text != self.status_text.partition("] ")[2]:
            self.status_text = stamped
            self.out.write(stamped + "\n")
        self.out.flush()

    def close(self) -> None:
        """End the status line so what follows starts on a fresh line."""
        if self.tty and self.status_text:
            self.out.write("\n")
            self.out.flush()
        self.status_text = ""
