"""Per-host queues for polite fetching: concurrency 1 per host, a minimum delay between two requests
to one host, a global concurrency cap and a global rate. Pure (the caller passes the time).

Due revisits wait in their host's FIFO queue; :meth:`HostQueues.take` hands out at most one request
per host whose previous request finished at least ``delay`` seconds ago (a robots.txt
``Crawl-delay`` or a 429/503 ``Retry-After`` lengthens it for that host), and never more than the
global limits allow. A backlog (many overdue revisits) therefore drains at the polite rate, spread
over time, never as a burst.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from urllib.parse import urlsplit


def host_key(url: str) -> str:
    """``scheme://host:port`` of ``url`` (lower-cased), the unit of politeness."""
    try:
        parts = urlsplit(url)
        port = parts.port or (443 if parts.scheme.lower() == "https" else 80)
        return f"{parts.scheme.lower()}://{(parts.hostname or '').lower()}:{port}"
    except ValueError:
        return url


@dataclass
class _Host:
    queue: deque[str] = field(default_factory=deque)
    active: int = 0
    not_before: float = 0.0
    delay: float = 0.0  # extra per-host delay (Crawl-delay), on top of the global minimum


class HostQueues:
    """FIFO queues per host and the slots that pace them."""

    def __init__(
        self, *, min_delay: float = 5.0, per_host: int = 1, max_active: int = 16, max_per_second: float = 10.0
    ) -> None:
        self.min_delay = min_delay
        self.per_host = per_host
        self.max_active = max_active
        self.interval = 1.0 / max_per_second if max_per_second > 0 else 0.0
        self._hosts: dict[str, _Host] = {}
        self._waiting: set[str] = set()  # hosts with queued work
        self.active = 0
        self.queued = 0
        self._next_global = 0.0

    def push(self, host: str, item: str) -> None:
        state = self._hosts.get(host)
        if state is None:
            state = self._hosts[host] = _Host()
        state.queue.append(item)
        self._waiting.add(host)
        self.queued += 1

    def take(self, now: float) -> list[tuple[str, str]]:
        """(host, item) pairs that may start now; each must be :meth:`release`-d when done."""
        out: list[tuple[str, str]] = []
        if not self._waiting:
            return out
        # hosts that waited longest first, so one busy host cannot starve the others
        for host in sorted(self._waiting, key=lambda h: self._hosts[h].not_before):
            if self.active >= self.max_active or now < self._next_global:
                break
            state = self._hosts[host]
            if state.active >= self.per_host or now < state.not_before:
                continue
            item = state.queue.popleft()
            self.queued -= 1
            if not state.queue:
                self._waiting.discard(host)
            state.active += 1
            self.active += 1
            self._next_global = now + self.interval
            out.append((host, item))
        return out

    def release(self, host: str, now: float, *, backoff: float = 0.0, used: bool = True) -> None:
        """The request to ``host`` finished at ``now``; ``backoff`` (Retry-After) delays the next one.
        ``used=False``: the slot was taken but no request was sent (the host's pace is unchanged)."""
        state = self._hosts[host]
        state.active -= 1
        self.active -= 1
        if used:
            state.not_before = now + max(self.min_delay, state.delay, backoff)

    def set_host_delay(self, host: str, delay: float) -> None:
        """A per-host delay longer than the minimum (robots.txt Crawl-delay)."""
        state = self._hosts.get(host)
        if state is None:
            state = self._hosts[host] = _Host()
        state.delay = delay

    def next_time(self, now: float) -> float | None:
        """When :meth:`take` could next return something (None: nothing queued)."""
        if not self._waiting:
            return None
        soonest = min(self._hosts[h].not_before for h in self._waiting)
        return max(soonest, self._next_global, now)

    def drop(self, keep: Callable[[str], bool]) -> int:
        """Forget queued items for which ``keep`` is false; returns how many were dropped."""
        dropped = 0
        for host in list(self._waiting):
            state = self._hosts[host]
            before = len(state.queue)
            state.queue = deque(i for i in state.queue if keep(i))
            dropped += before - len(state.queue)
            if not state.queue:
                self._waiting.discard(host)
        self.queued -= dropped
        return dropped

    def prune(self, now: float) -> None:
        """Forget idle hosts whose delay has passed (keeps the host table small)."""
        for host in [h for h, s in self._hosts.items() if not s.queue and not s.active and s.not_before <= now]:
            if self._hosts[host].delay == 0.0:
                del self._hosts[host]

    def hosts(self) -> int:
        return len(self._hosts)
