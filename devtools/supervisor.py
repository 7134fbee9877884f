"""Starts pipeline processes, watches them, and stops them cleanly (SIGTERM, then SIGKILL).

Children run in their own session so a Ctrl-C on the terminal reaches only the supervisor, which
then stops them in pipeline order and says how each one ended.
"""

from __future__ import annotations

import logging
import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

from newsstream.deadline import EXIT_CODE as RESTART_EXIT_CODE

log = logging.getLogger(__name__)
MAX_RESTARTS = 5


@dataclass
class Child:
    """One supervised process: a name, its ``newsstream`` arguments, environment and log file."""

    name: str
    args: list[str]
    env: dict[str, str]
    log_path: Path
    metrics_port: int | None = None
    restarts: int = 0
    #: The program to run; ``None`` means ``python -m newsstream.cli`` (tests pass another).
    program: list[str] | None = None
    process: subprocess.Popen[bytes] | None = field(default=None, repr=False)

    def start(self) -> None:
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        with self.log_path.open("ab") as out:
            self.process = subprocess.Popen(  # noqa: S603 - our own CLI
                [*(self.program or [sys.executable, "-m", "newsstream.cli"]), *self.args],
                env=self.env,
                stdout=out,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                start_new_session=True,
            )

    def exit_code(self) -> int | None:
        return None if self.process is None else self.process.poll()

    def stop(self, timeout_s: float = 15.0) -> str:
        """SIGTERM, wait, SIGKILL if needed; return a short sentence on how it ended."""
        if self.process is None:
            return f"{self.name}: never started"
        if self.process.poll() is not None:
            return f"{self.name}: had already exited with code {self.process.returncode}"
        started = time.monotonic()
        self.process.send_signal(signal.SIGTERM)
        try:
            code = self.process.wait(timeout_s)
            return f"{self.name}: stopped cleanly (exit {code}) in {time.monotonic() - started:.1f} s"
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
            return f"{self.name}: did not stop within {timeout_s:.0f} s and was killed"


class Supervisor:
    """Owns a list of children; stops them in reverse start order."""

    def __init__(self) -> None:
        self.children: list[Child] = []

    def start(self, child: Child) -> Child:
        child.start()
        self.children.append(child)
        log.info(
            "started %s (pid %s), log: %s", child.name, child.process.pid if child.process else "?", child.log_path
        )
        return child

    def dead(self) -> list[Child]:
        """Children that exited on their own."""
        return [c for c in self.children if c.exit_code() is not None]

    def reap(self) -> list[Child]:
        """Restart children that exited asking for it (exit code 75: a Kafka call that would never
        return; the new process fences the old transactional id), at most ``MAX_RESTARTS`` times
        each; return the children that died for good."""
        failed = []
        for child in self.dead():
            if child.exit_code() == RESTART_EXIT_CODE and child.restarts < MAX_RESTARTS:
                log.warning("%s exited with code %d (restart requested); restarting it", child.name, RESTART_EXIT_CODE)
                child.restarts += 1
                child.start()
            else:
                failed.append(child)
        return failed

    def stop_all(self) -> list[str]:
        # Producer first, so the consumers can drain what it already sent before they stop.
        order = [c for c in self.children if c.name == "producer"] + [
            c for c in reversed(self.children) if c.name != "producer"
        ]
        return [child.stop() for child in order]


def tail(path: Path, lines: int = 15) -> str:
    """The last lines of a log file, for error messages."""
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except FileNotFoundError:
        return "(no log)"


def child_env(**values: str) -> dict[str, str]:
    """The current environment plus ``values``."""
    return {**os.environ, **values}
