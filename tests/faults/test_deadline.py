"""The runner's last resort against a Kafka call that never returns: the process exits (code 75)."""

from __future__ import annotations

import subprocess
import sys

from newsstream.deadline import EXIT_CODE

BLOCKED = """
import logging, threading
from newsstream.deadline import Deadline
logging.basicConfig()
with Deadline(0.3, "a call that never returns"):
    threading.Event().wait()
"""

LOST = """
import logging, threading
from newsstream.deadline import Deadline
logging.basicConfig()
with Deadline(60, "a call whose request was lost", stalled=lambda: True, stall_s=0.3):
    threading.Event().wait()
"""

BUSY = """
import itertools, threading
from newsstream.deadline import Deadline
busy = itertools.cycle([True, False])  # idle between requests, never for 0.4 s on end
with Deadline(60, "a call waiting for its answers", stalled=lambda: next(busy), stall_s=0.4):
    threading.Event().wait(1.5)
print("done")
"""

RETURNS = """
from newsstream.deadline import Deadline
with Deadline(5, "a call that returns"):
    pass
print("done")
"""


def test_a_blocked_call_ends_the_process_with_the_restart_code() -> None:
    result = subprocess.run([sys.executable, "-c", BLOCKED], capture_output=True, text=True, timeout=30)
    assert result.returncode == EXIT_CODE
    assert "a call that never returns did not return within 0 s" in result.stderr


def test_a_call_that_returns_in_time_changes_nothing() -> None:
    result = subprocess.run([sys.executable, "-c", RETURNS], capture_output=True, text=True, timeout=30)
    assert result.returncode == 0 and result.stdout.strip() == "done"


def test_a_call_whose_request_was_lost_ends_before_the_deadline() -> None:
    """Issue 14, failure 8: the stuck call is detected by its stall (no request queued or in flight),
    not only by the deadline."""
    result = subprocess.run([sys.executable, "-c", LOST], capture_output=True, text=True, timeout=30)
    assert result.returncode == EXIT_CODE
    assert "a call whose request was lost waited" in result.stderr
    assert "with no request queued or in flight" in result.stderr


def test_a_call_that_is_idle_only_between_requests_goes_on() -> None:
    result = subprocess.run([sys.executable, "-c", BUSY], capture_output=True, text=True, timeout=30)
    assert result.returncode == 0 and result.stdout.strip() == "done", result.stderr


def test_the_runner_derives_its_watch_from_its_timeouts() -> None:
    """Issue 14, failure 8: not a fixed 60 s. A commit that waits with no request queued or in flight
    for a request timeout (5 s) and a second ends the process; any commit ends it past the
    transaction timeout and a request timeout (35 s), which leaves room for a commit that waits out
    a broker failover (14.9 s measured); a stage may still set its own deadline."""
    from newsstream.config import Config
    from newsstream.deadline import commit_deadline_s, stall_s
    from newsstream.runner import Runner, RunnerOptions
    from tests.integration.test_runner import EchoStage

    assert commit_deadline_s(5_000, 30_000) == 35.0
    assert stall_s(5_000) == 6.0
    options = RunnerOptions(group_id="g")
    assert (options.request_timeout_ms, options.transaction_timeout_ms) == (5_000, 30_000)
    runner = Runner(EchoStage("a", "b"), Config(), options)
    assert (runner._deadline_s, runner._stall_s) == (35.0, 6.0)
    assert Runner(EchoStage("a", "b"), Config(), RunnerOptions(group_id="g", commit_deadline_s=3))._deadline_s == 3
