"""One chaos scenario: the demo fed step by step through the pipeline, a fault at a chosen step, the account.

The driver starts the pipeline at demo step 0 and waits, for each step, until a read_committed
reader has every version and event expected up to that step, then advances the demo server. At
the fault step the scenario's ``inject`` replaces the plain advance: it advances the step itself,
before or after its fault, and returns what it did. After the last step a quiet period lets late
copies (re-emissions, replays) arrive; then every process is stopped and the output topics are read
once more, from the beginning, to count each expected version and event.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from devtools.demo import MAX_STEP
from newsstream.config import KafkaSettings
from tests.faults.expected import Expected, compute
from tests.faults.ledger import Collector, Row, account, read_all
from tests.faults.pipeline import Pipeline

STEP_TIMEOUT_S = 120.0
QUIET_S = 4.0


@dataclass
class Fault:
    """What a scenario did at one step: when the fault began (epoch s) and a note for the table."""

    at: float
    #: Text, or a function giving it once the scenario has ended (e.g. to read the broker's log).
    note: str | Callable[[], str] = ""
    #: The output topic whose records show recovery ("normalized", "corrections"); None: either.
    watch: str | None = None


@dataclass
class Run:
    """What an ``inject`` function gets: the pipeline, the collector, the expected outputs."""

    pipeline: Pipeline
    collector: Collector
    expected: Expected
    log: list[str] = field(default_factory=list)

    def say(self, message: str) -> None:
        self.log.append(f"{time.strftime('%H:%M:%S')} {message}")

    def wait_step(self, step: int, timeout_s: float = STEP_TIMEOUT_S) -> float | None:
        return self.collector.wait_for(self.expected.versions_until(step), self.expected.events_until(step), timeout_s)


Inject = Callable[[Run, int], list[Fault]]


def run_scenario(
    name: str,
    kafka: KafkaSettings,
    workdir: Path,
    ports: set[int],
    inject: Inject,
    fault_steps: tuple[int, ...] = (2,),
    replication_factor: int = 1,
    report_log: Callable[[str], None] = print,
) -> Row:
    """Run the demo through the pipeline with ``inject`` at ``fault_steps``; return the accounted row."""
    workdir.mkdir(parents=True, exist_ok=True)
    pipeline = Pipeline(name, kafka, workdir, ports, replication_factor=replication_factor)
    expected = compute(pipeline.start_demo())
    pipeline.create_topics()
    collector = Collector(kafka, pipeline.output_topics).start()
    run = Run(pipeline, collector, expected)
    faults: dict[int, list[Fault]] = {}
    completed: dict[int, float] = {}
    stuck = ""
    try:
        pipeline.start()
        run.say("pipeline ready")
        for step in range(MAX_STEP + 1):
            if step in fault_steps:
                faults[step] = inject(run, step)
            elif step > 0:
                pipeline.advance(step)
            done = run.wait_step(step)
            run.say(f"step {step} {'complete' if done else 'NOT complete'}")
            if done is None:
                stuck = f"step {step} incomplete after {STEP_TIMEOUT_S:.0f} s"
                break
            completed[step] = done
        time.sleep(QUIET_S)
    finally:
        stops = pipeline.stop()
        collector.stop()
        run.say("stopped: " + "; ".join(stops))
    recovery, caught_up = _timings(collector, faults, completed)
    seen = read_all(kafka, pipeline.output_topics)
    notes = [f.note() if callable(f.note) else f.note for step_faults in faults.values() for f in step_faults]
    notes = [n for n in notes if n]
    restarts = pipeline.crash_restarts()
    if restarts:
        notes.append("supervisor restarts: " + ", ".join(f"{k} x{v}" for k, v in restarts.items()))
    if pipeline.aborts:
        notes.append("aborted txns: " + ", ".join(f"{k} {v}" for k, v in pipeline.aborts.items()))
    if stuck:
        notes.append(stuck)
    row = account(name, expected, seen, recovery, caught_up, "; ".join(notes))
    (workdir / "scenario.log").write_text("\n".join(run.log + pipeline.events + row.details) + "\n")
    report_log(f"{name}: logs in {workdir}")
    return row


def _timings(
    collector: Collector, faults: dict[int, list[Fault]], completed: dict[int, float]
) -> tuple[float | None, float | None]:
    """The worst, over the faulted steps, of (fault -> first output after it) and (fault -> step complete).

    Seconds from the step's first fault; None when outputs never resumed or the step never completed.
    """
    recovery: list[float | None] = []
    caught_up: list[float | None] = []
    for step, step_faults in faults.items():
        if not step_faults:
            continue
        fault = step_faults[0]
        first = collector.first_output_after(fault.at, fault.watch)
        recovery.append(None if first is None else first - fault.at)
        caught_up.append(completed[step] - fault.at if step in completed else None)
    return _worst(recovery), _worst(caught_up)


def _worst(values: list[float | None]) -> float | None:
    present = [v for v in values if v is not None]
    return None if not values or len(present) < len(values) else max(present)
