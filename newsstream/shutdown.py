"""SIGTERM/SIGINT turn into a stop event the loops poll, so work finishes cleanly."""

from __future__ import annotations

import logging
import signal
import threading
from types import FrameType

log = logging.getLogger(__name__)


class Shutdown:
    """A stop flag set by SIGTERM or SIGINT (a second signal exits at once)."""

    def __init__(self) -> None:
        self.event = threading.Event()

    def install(self) -> Shutdown:
        """Install the handlers (main thread only) and return self."""
        signal.signal(signal.SIGTERM, self._handle)
        signal.signal(signal.SIGINT, self._handle)
        return self

    def _handle(self, signum: int, frame: FrameType | None) -> None:
        if self.event.is_set():
            raise SystemExit(128 + signum)
        log.info("received %s, finishing in-flight work", signal.Signals(signum).name)
        self.event.set()

    @property
    def requested(self) -> bool:
        return self.event.is_set()

    def request(self) -> None:
        """Ask the loops to stop (used by tests and embedding code)."""
        self.event.set()

    def wait(self, timeout: float) -> bool:
        """Sleep up to ``timeout`` seconds, waking early on shutdown; True if stopping."""
        return self.event.wait(timeout)
