"""The supervisor restarts a child that asks for it (exit 75) a bounded number of times, and
reports any other exit; stopping sends SIGTERM and reports how each child ended."""

from __future__ import annotations

import sys
import time
from pathlib import Path

from devtools.supervisor import MAX_RESTARTS, Child, Supervisor


def child(tmp_path: Path, name: str, code: str) -> Child:
    return Child(name, [], {}, tmp_path / f"{name}.log", program=[sys.executable, "-c", code])


def wait_dead(supervisor: Supervisor) -> None:
    deadline = time.monotonic() + 10
    while not supervisor.dead() and time.monotonic() < deadline:
        time.sleep(0.05)


def test_exit_75_is_restarted_up_to_the_limit_other_exits_are_reported(tmp_path: Path) -> None:
    supervisor = Supervisor()
    asks = supervisor.start(child(tmp_path, "asks", "import sys; sys.exit(75)"))
    for _ in range(MAX_RESTARTS):
        wait_dead(supervisor)
        assert supervisor.reap() == []
    wait_dead(supervisor)
    assert supervisor.reap() == [asks] and asks.restarts == MAX_RESTARTS

    broken = Supervisor()
    fails = broken.start(child(tmp_path, "fails", "import sys; sys.exit(3)"))
    wait_dead(broken)
    assert broken.reap() == [fails] and fails.restarts == 0


def test_stop_all_terminates_running_children(tmp_path: Path) -> None:
    supervisor = Supervisor()
    supervisor.start(child(tmp_path, "sleeper", "import time; time.sleep(60)"))
    lines = supervisor.stop_all()
    assert len(lines) == 1 and "sleeper: stopped" in lines[0]
