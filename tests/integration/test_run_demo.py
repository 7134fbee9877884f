"""`newsstream run --exit-when-idle`: the whole demo pipeline as processes, to the seed correction."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from producers.demo import expected_events

pytestmark = pytest.mark.integration


def test_run_exit_when_idle_processes_the_whole_demo(kafka_bootstrap: str, tmp_path) -> None:  # type: ignore[no-untyped-def]
    env = {**os.environ, "KAFKA_BOOTSTRAP_SERVERS": kafka_bootstrap, "NEWSSTREAM_STATE_DIR": str(tmp_path)}
    result = subprocess.run(
        [sys.executable, "-m", "newsstream.cli", "run", "--exit-when-idle", "--step-seconds", "5", "--timeout", "150"],
        env=env,
        capture_output=True,
        text=True,
        timeout=240,
    )
    out = result.stdout
    assert result.returncode == 0, out[-3000:] + result.stderr[-3000:]
    assert "demo scenario fully processed" in out
    assert (
        "seed correction: “Iraqi militia claims to target US forces in Syria” corrects "
        "“US downs Turkish drone in northeast Syria: War monitor” (article u:"
    ) in out
    for want in expected_events():
        if want["required"]:
            assert want["title"] in out, f"missing {want['type']} for {want['title']}"
    # Hard negatives never show up as events.
    from producers.demo import hard_negatives

    for negative in hard_negatives():
        assert f"“{negative['title']}”" not in out, f"false alarm: {negative['why']}"
    stops = [line for line in out.splitlines() if "stopped cleanly (exit 0)" in line]
    assert len(stops) == 4, out[-1500:]
    assert "every process this run started has stopped." in out
