"""Records of ``newsstream run`` demo runs: which topics each run created, on which broker.

A demo run writes ``<state dir>/run/<run id>/run.json`` before it creates its topics. A later run
deletes only topics named in the records of earlier runs on the same broker whose process has
ended, so a user's own ``demo-…`` topic, or the topics of a demo running right now, are never
touched. ``newsstream tail --run last`` reads the newest record to find the demo's topics.
"""

from __future__ import annotations

import json
import logging
import os
from dataclasses import dataclass
from pathlib import Path

from newsstream.config import Config, Topics

log = logging.getLogger("newsstream.run")
RECORD = "run.json"


@dataclass(frozen=True)
class RunRecord:
    """What one demo run created: its id, broker, process id and topic names."""

    run_id: str
    bootstrap_servers: str
    pid: int
    topics: dict[str, str]
    path: Path

    @property
    def alive(self) -> bool:
        """True while the run's process exists (a demo running now keeps its topics)."""
        try:
            os.kill(self.pid, 0)
        except ProcessLookupError:
            return False
        except PermissionError:  # someone else's process: treat as alive, never delete its topics
            return True
        return True


def _runs_dir(state_dir: Path) -> Path:
    return state_dir / "run"


def write_record(state_dir: Path, run_id: str, bootstrap_servers: str, topics: Topics) -> RunRecord:
    """Record the topics this run is about to create (before creating them, so a crash still counts)."""
    path = _runs_dir(state_dir) / run_id / RECORD
    path.parent.mkdir(parents=True, exist_ok=True)
    data = {"run_id": run_id, "bootstrap_servers": bootstrap_servers, "pid": os.getpid(), "topics": vars(topics)}
    path.write_text(json.dumps(data, indent=2) + "\n", encoding="utf-8")
    return RunRecord(run_id, bootstrap_servers, os.getpid(), dict(vars(topics)), path)


def read_records(state_dir: Path) -> list[RunRecord]:
    """Every readable run record, oldest first (run ids start with a sortable timestamp)."""
    records = []
    for path in sorted(_runs_dir(state_dir).glob(f"*/{RECORD}")):
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
            records.append(
                RunRecord(
                    str(data["run_id"]), str(data["bootstrap_servers"]), int(data["pid"]), dict(data["topics"]), path
                )
            )
        except (OSError, ValueError, KeyError, TypeError) as exc:
            log.warning("ignoring unreadable run record %s: %s", path, exc)
    return records


def last_record(state_dir: Path) -> RunRecord | None:
    """The newest demo run's record, or None when no demo has run with this state dir."""
    records = read_records(state_dir)
    return records[-1] if records else None


def delete_earlier_run_topics(config: Config) -> list[str]:
    """Delete topics recorded by ended earlier runs on this broker; return the names deleted."""
    from newsstream.kafka_clients import make_admin

    ended = [
        r
        for r in read_records(config.state_dir)
        if r.bootstrap_servers == config.kafka.bootstrap_servers and not r.alive
    ]
    if not ended:
        return []
    admin = make_admin(config.kafka)
    try:
        existing = set(admin.list_topics())
        doomed = sorted({name for r in ended for name in r.topics.values()} & existing)
        if doomed:
            admin.delete_topics(doomed)
            log.info("deleted %d topics of earlier demo runs", len(doomed))
    finally:
        admin.close()
    for r in ended:  # their topics are gone: the record would only slow the next run down
        r.path.rename(r.path.with_name("run.deleted.json"))
    return doomed
