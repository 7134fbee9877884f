"""Reload the feed list on SIGHUP or when its file changes, keeping every feed's fetch state.

Fetch state lives in SQLite keyed by the feed's URL, so a reload only swaps the list the produce
loop schedules from: a feed that stays keeps its validators, schedule and fingerprints; a new feed
is polled at once; a removed feed is no longer polled (its state stays, should it come back). A
list that fails to load is logged and the previous one kept, so a typo never stops the producer.
"""

from __future__ import annotations

import logging
import signal
import threading
from collections.abc import Callable, Sequence
from pathlib import Path
from types import FrameType

from newsstream.errors import ConfigError
from producers.feeds import FeedConfig

log = logging.getLogger("newsstream.produce")


class FeedListReloader:
    """Call it from the loop: returns the new list when a reload is due and succeeded, else None."""

    def __init__(self, path: Path, load: Callable[[], Sequence[FeedConfig]]) -> None:
        self.path = path
        self.load = load
        self._hup = threading.Event()
        self._stamp = self._file_stamp()

    def install(self) -> FeedListReloader:
        """Make SIGHUP ask for a reload (its default action would end the process). Main thread only."""
        signal.signal(signal.SIGHUP, self._handle)
        return self

    def _handle(self, signum: int, frame: FrameType | None) -> None:
        self._hup.set()

    def request(self) -> None:
        """Ask for a reload (what SIGHUP does)."""
        self._hup.set()

    def _file_stamp(self) -> tuple[int, int] | None:
        try:
            stat = self.path.stat()
        except OSError:
            return None
        return (stat.st_mtime_ns, stat.st_size)

    def __call__(self) -> Sequence[FeedConfig] | None:
        stamp = self._file_stamp()
        why = "SIGHUP" if self._hup.is_set() else "file changed" if stamp != self._stamp else None
        if why is None:
            return None
        self._hup.clear()
        self._stamp = stamp  # a list that fails to load is not retried until it changes again
        try:
            feeds = self.load()
        except ConfigError as exc:
            log.error("feed list not reloaded (%s): %s; keeping the previous list", why, exc)
            return None
        log.info("feed list reloaded (%s): %d feeds from %s", why, len(feeds), self.path)
        return feeds
