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


def test_the_runner_derives_its_deadline_from_the_request_timeout() -> None:
    """Issue 14, failure 8: not a fixed 60 s. The transactional producer's request timeout is 5 s,
    so a stuck commit ends the process after 11 s; a stage may still set its own deadline."""
    from newsstream.config import Config
    from newsstream.deadline import commit_deadline_s
    from newsstream.runner import Runner, RunnerOptions
    from tests.integration.test_runner import EchoStage

    assert commit_deadline_s(5_000) == 11.0
    options = RunnerOptions(group_id="g")
    assert options.request_timeout_ms == 5_000
    assert Runner(EchoStage("a", "b"), Config(), options)._deadline_s == 11.0
    assert Runner(EchoStage("a", "b"), Config(), RunnerOptions(group_id="g", commit_deadline_s=3))._deadline_s == 3
