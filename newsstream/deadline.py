"""End the process when a blocking Kafka call never returns, so its supervisor restarts it.

kafka-python's transactional calls (``send_offsets_to_transaction``, ``commit_transaction``,
``abort_transaction``) wait for their result without a timeout. In kafka-python 3.0.12 that wait
could last forever: when the coordinator's broker died, the Sender dropped the request it was about
to send and its result never completed (tests/faults, the three-broker cluster's controller kill;
mended in :class:`newsstream.kafka_clients.ProducerNetClient`). Two watches end such a call:

* **stalled**: while the call waits, the client holds no transactional request (none queued, none
  in flight) although a broker is connected, for longer than one request timeout and a second
  (:func:`stall_s`; 6 s with the runner's 5 s request timeout). The request it waits for is lost;
  the call can only hang. The request timeout is the longest the Sender keeps a request in hand,
  waiting for its node, before sending or queueing it again.
* **the deadline**: the transaction timeout and one request timeout (:func:`commit_deadline_s`;
  35 s). Past the transaction timeout the coordinator aborts the transaction itself, so the call can
  only fail. A shorter deadline ends commits that are waiting out a broker failover, which a
  restart only lengthens (the group's rejoin comes on top): a commit in flight when a node of the
  three-broker cluster was SIGKILLed took 14.2 s, until the controller fenced the node (broker
  session 9 s) and its partitions and coordinators had new leaders. It was 11 s, a fixed 60 s before.

A stage that exits instead is restarted by its supervisor; the new process's
``init_transactions`` (same transactional id) fences the old producer and aborts its open
transaction, and the consumer group hands the partitions back from the committed offsets. So
exiting keeps exactly-once; hanging keeps nothing.
"""

from __future__ import annotations

import logging
import os
import threading
import time
import types
from collections.abc import Callable

log = logging.getLogger(__name__)

#: EX_TEMPFAIL: a temporary failure; restarting is the cure.
EXIT_CODE = 75
#: How often the watch looks at the call.
POLL_S = 0.25


def commit_deadline_s(request_timeout_ms: int, transaction_timeout_ms: int) -> float:
    """How long a commit or abort may take before the process gives up on it: the transaction
    timeout (the coordinator aborts the transaction then) and one request timeout for the answer.
    With the runner's 30 s and 5 s: 35 s."""
    return (transaction_timeout_ms + request_timeout_ms) / 1000


def stall_s(request_timeout_ms: int) -> float:
    """How long a call may wait with no request queued or in flight before it counts as stuck: one
    request timeout (the Sender may hold a request that long, waiting for its node) and 1 s of
    scheduling margin. With the runner's 5 s request timeout: 6 s."""
    return request_timeout_ms / 1000 + 1.0


class Deadline:
    """``with Deadline(35, "commit", stalled=lost, stall_s=6):`` ends the process (exit 75) if the
    block outlives 35 s, or if ``stalled()`` holds for 6 s on end while it runs."""

    def __init__(
        self, seconds: float, what: str, stalled: Callable[[], bool] | None = None, stall_s: float = 0.0
    ) -> None:
        self.seconds = seconds
        self.what = what
        self.stalled = stalled
        self.stall_s = stall_s
        self._done = threading.Event()

    def __enter__(self) -> Deadline:
        self._done.clear()
        threading.Thread(target=self._watch, name=f"deadline: {self.what}", daemon=True).start()
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: types.TracebackType | None
    ) -> None:
        self._done.set()

    def _watch(self) -> None:
        started = time.monotonic()
        stalled_since: float | None = None
        while True:
            now = time.monotonic()
            if now - started >= self.seconds:
                self._expire(f"did not return within {self.seconds:.0f} s")
                return
            if self._is_stalled():
                stalled_since = now if stalled_since is None else stalled_since
                if now - stalled_since >= self.stall_s:
                    self._expire(
                        f"waited {now - stalled_since:.0f} s with no request queued or in flight "
                        f"(the client lost the request it waits for)"
                    )
                    return
            else:
                stalled_since = None
            if self._done.wait(min(POLL_S, max(0.0, started + self.seconds - now))):
                return

    def _is_stalled(self) -> bool:
        if self.stalled is None:
            return False
        try:
            return self.stalled()
        except Exception:  # noqa: BLE001 - a watch that cannot tell leaves only the deadline
            log.debug("the stall check of %s raised", self.what, exc_info=True)
            return False

    def _expire(self, reason: str) -> None:
        if self._done.is_set():  # the call returned meanwhile
            return
        log.critical(
            "%s %s; exiting with code %d so the supervisor restarts this process "
            "(the restarted instance fences this one and aborts its open transaction)",
            self.what,
            reason,
            EXIT_CODE,
        )
        for handler in logging.getLogger().handlers:
            handler.flush()
        os._exit(EXIT_CODE)
