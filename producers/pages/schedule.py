"""Schedule entries, their record in the compacted topic, and the due-time table. Pure.

One :class:`PageEntry` per scheduled article id. Its JSON record (``to_record``) is the value of
``news.page-schedule.v1`` keyed by article id, written to the partition of the
``news.normalized.v1`` record the article was learned from (co-partitioned, so the instance that
owns input partition *p* restores schedule partition *p*). A finished entry (past the last step, or
gone) is a tombstone: it is forgotten, and only a later *feed* version of the article could schedule
it again.

Memory is what bounds a process (1 M entries): entries use ``__slots__``, publisher and feed URL
strings are interned (few distinct values), the content fingerprint is an int, and the heap holds
``(due, article_id)`` pairs, the id string shared with the entry. Heap items are not removed when an
entry is rescheduled: a popped item whose time is not the entry's current ``next_due`` is stale and
skipped (lazy deletion), and :meth:`ScheduleTable.compact_heap` rebuilds it when stale items
dominate.
"""

from __future__ import annotations

import heapq
import sys
from collections.abc import Iterator
from typing import Any

#: Record format of the compacted topic; bump on an incompatible change.
FORMAT = 1


def _intern(value: str | None) -> str | None:
    return sys.intern(value) if value else None


class PageEntry:
    """What the pages producer remembers of one article page."""

    __slots__ = (
        "article_id", "url", "publisher", "feed_url", "partition", "first_seen", "step", "next_due",
        "etag", "last_modified", "content_fp", "misses", "first_miss",
    )  # fmt: skip

    def __init__(
        self,
        article_id: str,
        url: str,
        *,
        publisher: str | None = None,
        feed_url: str | None = None,
        partition: int = 0,
        first_seen: float = 0.0,
        step: int = 0,
        next_due: float = 0.0,
        etag: str | None = None,
        last_modified: str | None = None,
        content_fp: int | None = None,
        misses: int = 0,
        first_miss: float | None = None,
    ) -> None:
        self.article_id = article_id
        self.url = url
        self.publisher = _intern(publisher)
        self.feed_url = _intern(feed_url)
        self.partition = partition
        self.first_seen = first_seen
        #: Index in the ladder of the next revisit (the one due at ``next_due``).
        self.step = step
        self.next_due = next_due
        self.etag = etag
        self.last_modified = last_modified
        #: Fingerprint of the last page version emitted (None: never fetched successfully).
        self.content_fp = content_fp
        #: Consecutive "not there" answers (404, 410, redirect to the home page) and when the first came.
        self.misses = misses
        self.first_miss = first_miss

    def to_record(self) -> dict[str, Any]:
        """The JSON value written to the schedule topic."""
        return {
            "format": FORMAT,
            "article_id": self.article_id,
            "url": self.url,
            "publisher": self.publisher,
            "feed_url": self.feed_url,
            "first_seen": self.first_seen,
            "step": self.step,
            "next_due": self.next_due,
            "etag": self.etag,
            "last_modified": self.last_modified,
            "content_fp": None if self.content_fp is None else f"{self.content_fp:016x}",
            "misses": self.misses,
            "first_miss": self.first_miss,
        }

    @classmethod
    def from_record(cls, record: dict[str, Any], partition: int) -> PageEntry:
        """Inverse of :meth:`to_record`; unknown keys are ignored."""
        fp = record.get("content_fp")
        return cls(
            str(record["article_id"]),
            str(record["url"]),
            publisher=record.get("publisher"),
            feed_url=record.get("feed_url"),
            partition=partition,
            first_seen=float(record.get("first_seen") or 0.0),
            step=int(record.get("step") or 0),
            next_due=float(record.get("next_due") or 0.0),
            etag=record.get("etag"),
            last_modified=record.get("last_modified"),
            content_fp=int(fp, 16) if fp else None,
            misses=int(record.get("misses") or 0),
            first_miss=record.get("first_miss"),
        )

    def __repr__(self) -> str:
        return f"PageEntry({self.article_id!r}, {self.url!r}, step={self.step}, next_due={self.next_due:.0f})"


class ScheduleTable:
    """Entries by id plus a min-heap of due times: ``pop_due`` is O(log n) per due entry."""

    def __init__(self) -> None:
        self.entries: dict[str, PageEntry] = {}
        self._heap: list[tuple[float, str]] = []

    def __len__(self) -> int:
        return len(self.entries)

    def __contains__(self, article_id: object) -> bool:
        return article_id in self.entries

    def get(self, article_id: str) -> PageEntry | None:
        return self.entries.get(article_id)

    def put(self, entry: PageEntry) -> None:
        """Add or reschedule ``entry`` (its ``next_due`` is read now)."""
        self.entries[entry.article_id] = entry
        heapq.heappush(self._heap, (entry.next_due, entry.article_id))
        if len(self._heap) > 2 * len(self.entries) + 1024:
            self.compact_heap()

    def remove(self, article_id: str) -> PageEntry | None:
        return self.entries.pop(article_id, None)

    def pop_due(self, now: float, limit: int | None = None) -> list[PageEntry]:
        """Entries due at ``now`` (oldest due first), taken off the heap; put() them back to reschedule."""
        out: list[PageEntry] = []
        heap = self._heap
        while heap and heap[0][0] <= now and (limit is None or len(out) < limit):
            due, article_id = heapq.heappop(heap)
            entry = self.entries.get(article_id)
            if entry is not None and entry.next_due == due:
                out.append(entry)
        return out

    def next_due(self) -> float | None:
        """The earliest current due time (stale heap tops are dropped on the way)."""
        heap = self._heap
        while heap:
            due, article_id = heap[0]
            entry = self.entries.get(article_id)
            if entry is not None and entry.next_due == due:
                return due
            heapq.heappop(heap)
        return None

    def count_due(self, now: float) -> int:
        """Entries due at ``now`` (O(n); for gauges, not for the hot path)."""
        return sum(1 for e in self.entries.values() if e.next_due <= now)

    def drop_partitions(self, partitions: set[int]) -> int:
        """Forget the entries of revoked partitions; returns how many."""
        gone = [aid for aid, e in self.entries.items() if e.partition in partitions]
        for aid in gone:
            del self.entries[aid]
        self.compact_heap()
        return len(gone)

    def compact_heap(self) -> None:
        """Rebuild the heap from the current entries (drops stale items)."""
        self._heap = [(e.next_due, e.article_id) for e in self.entries.values()]
        heapq.heapify(self._heap)

    def __iter__(self) -> Iterator[PageEntry]:
        return iter(self.entries.values())
