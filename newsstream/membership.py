"""A watch on the consumer's group membership: kafka-python (3.0.12) can stay in a rebalance for good.

Seen in CI and in the fault suite, about once in 25 stage starts: a consumer's partitions are revoked
by a second rebalance right after its first assignment, and the join never completes; the consumer
polls on, assigned nothing, while the broker holds its new assignment. The runner then makes a new
consumer (its offsets are the group's committed ones, so nothing is lost or read twice). A member that
is merely idle (more members than partitions) is STABLE with an empty assignment and never watched.
"""

from __future__ import annotations

import logging
import time
from typing import Any

from newsstream.log import fields

log = logging.getLogger(__name__)

#: A rebalance that has not completed after this long is stuck (at least three session timeouts).
MIN_STUCK_S = 30.0


def member_state(consumer: Any) -> str:
    """The consumer's group state (``UNJOINED``, ``REBALANCING``, ``STABLE``), or ``STABLE`` when this
    kafka-python does not say (then nothing is ever called stuck)."""
    state = getattr(getattr(consumer, "_coordinator", None), "state", None)
    if state is None:
        return "STABLE"
    # kafka-python's MemberState constants are strings ("<stable>"); an enum would have a name
    return str(getattr(state, "name", state)).strip("<>").upper()


class RejoinWatch:
    """``stuck(consumer)`` is True once the member has been out of STABLE for ``limit_s`` in a row."""

    def __init__(self, session_timeout_ms: int) -> None:
        self.limit_s = max(MIN_STUCK_S, 3 * session_timeout_ms / 1000)
        self._since: float | None = None

    def stuck(self, consumer: Any, now: float | None = None) -> bool:
        now = time.monotonic() if now is None else now
        if member_state(consumer) == "STABLE":
            self._since = None
            return False
        if self._since is None:
            self._since = now
        return now - self._since >= self.limit_s

    def reset(self) -> None:
        """A new consumer starts a new watch."""
        self._since = None


def await_partitions(consumer: Any, topics: list[str], timeout_s: float = 30.0) -> None:
    """Wait until the client knows every input topic's partitions (or ``timeout_s`` passed).

    A group whose leader joins before its metadata lists a just-created topic is assigned nothing, and
    kafka-python looks again only at the next metadata refresh (5 minutes): the stage would sit idle.
    """
    deadline = time.monotonic() + timeout_s
    missing = list(topics)
    while missing and time.monotonic() < deadline:
        missing = [t for t in missing if not consumer.partitions_for_topic(t)]
        if missing:
            time.sleep(0.5)
    if missing:
        log.warning(
            "input topics have no partitions yet (create them with `newsstream topics create`)",
            extra=fields(topics=",".join(missing)),
        )
