"""A metric label over an open set of values (publishers) with a bounded number of series.

Values named in advance keep their own label; when none are named, the first ``slots`` distinct
values seen get one each (first come, first served: a deployment's big publishers show up within
minutes); every other value is ``other``. So a feed list of thousands of publishers costs at most
``slots + 1`` series per label combination.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable

OTHER = "other"


class BoundedLabel:
    """Maps a raw value to itself or to ``other``, never to more than the configured set."""

    def __init__(self, named: Iterable[str] = (), slots: int = 10) -> None:
        self.named = tuple(dict.fromkeys(n.strip() for n in named if n.strip()))
        self.slots = 0 if self.named else max(0, slots)
        self._seen: set[str] = set(self.named)
        self._lock = threading.Lock()

    def known(self) -> tuple[str, ...]:
        """The values with their own label so far (for pre-initialising series)."""
        return tuple(sorted(self._seen))

    def value(self, raw: str | None) -> str:
        name = (raw or "").strip()
        if not name or name == OTHER:
            return OTHER
        if name in self._seen:
            return name
        with self._lock:
            if len(self._seen) < self.slots and name not in self._seen:
                self._seen.add(name)
                return name
        return name if name in self._seen else OTHER
