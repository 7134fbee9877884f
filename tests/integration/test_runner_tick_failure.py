"""Issue 14, item 1 (the pages tick): an exception in a stage's tick is logged and counted, and the
runner goes on ticking and committing."""

from __future__ import annotations

import threading
import uuid
from collections.abc import Callable

import pytest

from newsstream.config import Config
from newsstream.runner import Output, Runner, RunnerOptions, StageBase
from newsstream.shutdown import Shutdown
from tests.integration.helpers import read_committed

pytestmark = pytest.mark.integration


class FlakyTicker(StageBase):
    """Its first two ticks raise; later ones each emit one record."""

    name = "ticker"
    tick_interval_s = 0.2

    def __init__(self, source: str, sink: str) -> None:
        self.source, self.sink, self.ticks = source, sink, 0

    def input_topics(self) -> list[str]:
        return [self.source]

    def tick(self, now: float) -> list[Output]:
        self.ticks += 1
        if self.ticks <= 2:
            raise ValueError("a revisit the stage did not foresee")
        return [Output(self.sink, f"t{self.ticks}".encode(), b"tick")]


def test_a_failing_tick_does_not_end_the_runner(kafka_config: Config, new_topic: Callable[..., str]) -> None:
    source, sink = new_topic("in", 1), new_topic("out", 1)
    stage = FlakyTicker(source, sink)
    options = RunnerOptions(group_id=f"g-{uuid.uuid4().hex[:6]}", instance_id=uuid.uuid4().hex[:6])
    runner = Runner(stage, kafka_config, options, shutdown=Shutdown())
    thread = threading.Thread(target=runner.run, kwargs={"serve_health": False}, daemon=True)
    thread.start()
    try:
        emitted = read_committed(kafka_config, sink, 3, timeout_s=60, quiet_s=0.5)
        assert thread.is_alive(), "the runner ended on a tick's exception"
    finally:
        runner.shutdown.request()
        thread.join(15)
    assert len(emitted) >= 3 and all(r.value == b"tick" for r in emitted)
    assert runner.registry.get_sample_value("newsstream_tick_failures_total", {"stage": "ticker"}) == 2
