"""`newsstream run --exit-when-idle`: the whole demo pipeline as processes, to the seed correction."""

from __future__ import annotations

import json
import os
import re
import socket
import subprocess
import sys

import pytest

from devtools.demo import expected_events

pytestmark = pytest.mark.integration


def test_run_exit_when_idle_processes_the_whole_demo(kafka_bootstrap: str, tmp_path) -> None:  # type: ignore[no-untyped-def]
    env = {**os.environ, "KAFKA_BOOTSTRAP_SERVERS": kafka_bootstrap, "NEWSSTREAM_STATE_DIR": str(tmp_path)}
    base = _free_run_of_ports(6)
    env.update(NEWSSTREAM_METRICS_PORT=str(base), NEWSSTREAM_METRICS_HOST="127.0.0.1")  # all stages from base up
    env["NEWSSTREAM_WEB_PORT"] = str(base + 5)  # the archive's web page (the archive's metrics are on base + 4)
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
    assert "✔ demo scenario complete: every expected event seen in" in out
    assert (
        "seed correction: “Iraqi militia claims to target US forces in Syria” corrects "
        "“US downs Turkish drone in northeast Syria: War monitor” (article u:"
    ) in out
    for want in expected_events():
        if want["required"]:
            assert want["title"] in out, f"missing {want['type']} for {want['title']}"
    # Hard negatives never show up as events.
    from devtools.demo import hard_negatives

    for negative in hard_negatives():
        assert f"“{negative['title']}”" not in out, f"false alarm: {negative['why']}"
    stops = [line for line in out.splitlines() if "stopped cleanly (exit 0)" in line]
    assert len(stops) == 7, out[-1500:]  # demo feeds, producer, normalize, detect, pages, archive, web
    assert f"archive web page: http://127.0.0.1:{base + 5}/" in out
    assert "every process this run started has stopped." in out
    # The live view scraped every stage on the ports derived from NEWSSTREAM_METRICS_PORT.
    assert re.search(r"normalize in [1-9]\d* out [1-9]", out), out[-1500:]
    assert f"  pages               http://127.0.0.1:{base + 3}/metrics" in out
    # The closing summary names the demo's own topics, and `tail --run last` reads them.
    record = json.loads(next((tmp_path / "run").glob("*/run.json")).read_text())
    corrections = record["topics"]["corrections"]
    assert f"kcat -C -b {kafka_bootstrap} -t {corrections} -X isolation.level=read_committed" in out
    assert "newsstream tail corrections --from-beginning --timeout 5 --run last" in out
    tailed = subprocess.run(
        [sys.executable, "-m", "newsstream.cli", "tail", "corrections", "--run", "last", "--from-beginning",
         "--timeout", "3"],
        env={**env, "KAFKA_BOOTSTRAP_SERVERS": "127.0.0.1:1"},  # the broker comes from the run record
        capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert tailed.returncode == 0, tailed.stderr
    assert f"message(s) from {corrections}" in tailed.stderr
    assert tailed.stdout.count("━━ ") >= sum(1 for want in expected_events() if want["required"])


def _free_run_of_ports(count: int) -> int:
    """A base port such that it and the next ``count - 1`` ports are free now."""
    for _ in range(50):
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            base = int(probe.getsockname()[1])
        if base + count > 65535:
            continue
        try:
            for port in range(base, base + count):
                with socket.socket() as sock:
                    sock.bind(("127.0.0.1", port))
        except OSError:
            continue
        return base
    raise AssertionError("no run of free ports")
