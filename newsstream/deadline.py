"""End the process when a blocking Kafka call never returns, so its supervisor restarts it.

kafka-python's transactional calls (``send_offsets_to_transaction``, ``commit_transaction``,
``abort_transaction``) wait for their result without a timeout. In kafka-python 3.0.12 that wait
can last forever: when the connection to the transaction coordinator fails while a transactional
request is being sent, ``Sender._maybe_send_pending_request`` asks for a new coordinator but
re-enqueues the request only if no target node had been chosen yet, and here one had; the request
is dropped and its result never completes (seen by tests/faults when the coordinator's broker of a
three-node cluster was SIGKILLed: the detector stayed stuck in ``send_offsets_to_transaction``
with no request pending or in flight, long after the broker was back). The deadline derives from the
request timeout (:func:`commit_deadline_s`), so such a process is ended within seconds.

A stage that exits instead is restarted by its supervisor; the new process's
``init_transactions`` (same transactional id) fences the old producer and aborts its open
transaction, and the consumer group hands the partitions back from the committed offsets. So
exiting keeps exactly-once; hanging keeps nothing.
"""

from __future__ import annotations

import logging
import os
import threading
import types

log = logging.getLogger(__name__)

#: EX_TEMPFAIL: a temporary failure; restarting is the cure.
EXIT_CODE = 75


def commit_deadline_s(request_timeout_ms: int) -> float:
    """How long a commit or abort may take before the process gives up on it: two request timeouts
    (the call itself, then one coordinator lookup and retry after its connection failed) and 1 s of
    scheduling margin. With the runner's 5 s request timeout: 11 s, where a fixed 60 s once was."""
    return 2 * request_timeout_ms / 1000 + 1.0


class Deadline:
    """``with Deadline(11, "commit"):`` ends the process (exit 75) if the block outlives 11 s."""

    def __init__(self, seconds: float, what: str) -> None:
        self.seconds = seconds
        self.what = what
        self._timer: threading.Timer | None = None

    def __enter__(self) -> Deadline:
        self._timer = threading.Timer(self.seconds, self._expire)
        self._timer.daemon = True
        self._timer.start()
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: types.TracebackType | None
    ) -> None:
        if self._timer is not None:
            self._timer.cancel()

    def _expire(self) -> None:
        log.critical(
            "%s did not return within %.0f s; exiting with code %d so the supervisor restarts this process "
            "(the restarted instance fences this one and aborts its open transaction)",
            self.what,
            self.seconds,
            EXIT_CODE,
        )
        for handler in logging.getLogger().handlers:
            handler.flush()
        os._exit(EXIT_CODE)
