"""Chaos on one broker: each scenario feeds the whole demo through the pipeline, injects one fault
mid-stream, and asserts every expected version and correction event is read exactly once."""

from __future__ import annotations

import signal
import time
from collections.abc import Callable

import pytest

from tests.faults.broker import IsolatedKafka
from tests.faults.conftest import assert_exactly_once
from tests.faults.faults import kill_after_append, kill_in_transaction
from tests.faults.ledger import Row
from tests.faults.scenario import Fault, Run

pytestmark = pytest.mark.integration

#: Longer than the stages' 10 s session timeout, so the group coordinator expires every member.
OUTAGE_S = 15.0


def output_topics(run: Run, stage: str) -> list[str]:
    t = run.pipeline.config.topics
    if stage == "normalize":
        return [t.normalized, t.dlq]
    return [t.corrections, t.detector_state, t.titles, t.dlq]


def sigkill(stage: str) -> Callable[[Run, int], list[Fault]]:
    """Advance the step, SIGKILL ``stage`` at its most delicate point, start it again at once."""

    def inject(run: Run, step: int) -> list[Fault]:
        pipeline = run.pipeline
        process = pipeline.stages[stage]
        kafka = pipeline.config.kafka
        pipeline.advance(step)
        if stage == "produce":
            state = pipeline.workdir / "state" / "produce-a" / "producer-state.sqlite3"
            note = kill_after_append(process, kafka, pipeline.config.topics.raw, state)
        else:
            note = kill_in_transaction(process, kafka, output_topics(run, stage))
        at = time.time()
        run.say(note)
        process.start()
        return [Fault(at, note, watch="corrections" if stage == "detect-corrections" else "normalized")]

    return inject


@pytest.mark.parametrize("stage", ["produce", "normalize", "detect-corrections"])
def test_sigkill(stage: str, single_kafka: IsolatedKafka, chaos: Callable[..., Row]) -> None:
    row = chaos(single_kafka, sigkill(stage), name=f"sigkill {stage}")
    assert_exactly_once(row)


def test_broker_stopped_and_restarted(single_kafka: IsolatedKafka, chaos: Callable[..., Row]) -> None:
    def inject(run: Run, step: int) -> list[Fault]:
        at = time.time()
        exit_s = single_kafka.stop(1, signal.SIGTERM)
        run.pipeline.advance(step)  # the feeds change while the broker is down
        time.sleep(max(0.0, OUTAGE_S - (time.time() - at)))
        restart_at = time.time() - at
        up_s = single_kafka.up()
        note = f"SIGTERM (exit in {exit_s:.1f} s), restarted at {restart_at:.0f} s, 'up' returned {up_s:.1f} s later"
        return [Fault(at, note)]

    assert_exactly_once(chaos(single_kafka, inject, name="broker SIGTERM + restart"))


def test_broker_paused_past_session_timeout(single_kafka: IsolatedKafka, chaos: Callable[..., Row]) -> None:
    def inject(run: Run, step: int) -> list[Fault]:
        at = time.time()
        single_kafka.pause()
        try:
            run.pipeline.advance(step)
            time.sleep(OUTAGE_S)
        finally:
            single_kafka.resume()

        # What the broker made of it: its controller may fence it (broker session 9 s), its group
        # coordinator may expire the stages' members (session 10 s).
        def note() -> str:
            fenced = single_kafka.log_lines(1, at, r"Fencing broker \d+ .*session has timed out")
            expired = single_kafka.log_lines(1, at, r"has failed, removing it from the group", limit=50)
            fenced_note = "yes" if fenced else "no"
            return f"paused {OUTAGE_S:.0f} s; fenced by its controller: {fenced_note}; members expired: {len(expired)}"

        return [Fault(at, note)]

    assert_exactly_once(chaos(single_kafka, inject, name="broker SIGSTOP 15 s"))


@pytest.mark.parametrize("stage", ["normalize", "detect-corrections"])
def test_rebalance(stage: str, single_kafka: IsolatedKafka, chaos: Callable[..., Row]) -> None:
    """A second instance joins as step 2 flows and leaves (SIGTERM) in the middle of step 3."""

    def inject(run: Run, step: int) -> list[Fault]:
        pipeline = run.pipeline
        if step == 2:  # joins while step 2 flows: partitions are taken from the first instance
            pipeline.advance(step)
            at = time.time()
            second = pipeline.stage(stage, "b")
            second.start()
            second.wait_ready()
            return [Fault(at, "")]
        second = pipeline.stages[f"{stage}#b"]
        before = second.metric("newsstream_messages_consumed_total") or 0
        pipeline.advance(step)
        at = time.time()
        deadline = time.monotonic() + 10
        consumed = before
        while consumed <= before and time.monotonic() < deadline:  # leave once it holds part of step 3
            time.sleep(0.05)
            consumed = second.metric("newsstream_messages_consumed_total") or 0
        code = second.terminate()
        return [Fault(at, f"2nd instance consumed {before:.0f}+{consumed - before:.0f}, left with exit {code}")]

    assert_exactly_once(chaos(single_kafka, inject, fault_steps=(2, 3), name=f"rebalance {stage}"))
