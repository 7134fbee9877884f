"""The exit codes of every ``newsstream`` command, in one place (README "Exit codes" mirrors this).

A batch command (``produce --once``, ``detect``, ``preview``) says how much of its input it could
process, so a script or a cron job can tell "all fine" from "some feeds failed" from "nothing
worked" without parsing logs. Long-running stages exit 0 after SIGTERM.
"""

from __future__ import annotations

OK = 0
#: A runtime failure: the broker is unreachable, a stage crashed, the demo gave up.
FAILED = 1
#: A usage or configuration error (bad flag, bad variable, bad feed list); the message names it.
USAGE = 2
#: Partial: some of the input was processed, some failed (a feed, a line, an entry); see stderr.
PARTIAL = 3
#: Nothing was processed: every feed failed, every input line was skipped, or there was no input.
NOTHING_PROCESSED = 4
#: Restart requested (a Kafka call hung past its deadline; see newsstream.deadline).
RESTART = 75
INTERRUPTED = 130


def for_counts(done: int, failed: int) -> int:
    """OK when nothing failed and something was done; PARTIAL when both; NOTHING_PROCESSED otherwise."""
    if done and not failed:
        return OK
    if done:
        return PARTIAL
    return NOTHING_PROCESSED
