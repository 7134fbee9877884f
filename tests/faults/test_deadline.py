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
