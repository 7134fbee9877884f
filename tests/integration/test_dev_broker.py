"""`newsstream dev kafka up|down|status|tool` on a second, isolated broker (other ports, other data dir)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from devtools.kafka import TOOLS

pytestmark = pytest.mark.integration
PORT = 19592


def cli(home: Path, *args: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "NEWSSTREAM_KAFKA_HOME": str(home), "NEWSSTREAM_DEV_KAFKA_PORT": str(PORT)}
    return subprocess.run(
        [sys.executable, "-m", "newsstream.cli", *args], env=env, capture_output=True, text=True, timeout=timeout
    )


def our_java_pids(home: Path) -> list[int]:
    pids = []
    for proc in Path("/proc").iterdir():
        if proc.name.isdigit():
            try:
                cmdline = (proc / "cmdline").read_bytes()
            except OSError:
                continue
            if b"kafka.Kafka" in cmdline and str(home).encode() in cmdline:
                pids.append(int(proc.name))
    return pids


def test_up_is_idempotent_down_leaves_nothing_and_up_again_works(tmp_path: Path) -> None:
    home = tmp_path / "kafka"
    try:
        first = cli(home, "dev", "kafka", "up")
        assert first.returncode == 0, first.stderr
        assert f"is up at 127.0.0.1:{PORT}" in first.stdout
        pids = our_java_pids(home)
        assert len(pids) == 1

        again = cli(home, "dev", "kafka", "up")
        assert again.returncode == 0 and "already up" in again.stdout
        assert our_java_pids(home) == pids, "a second 'up' must not start another broker"

        status = cli(home, "dev", "kafka", "status")
        assert status.returncode == 0 and status.stdout.startswith("up") and "kafka=4.3.1" in status.stdout

        down = cli(home, "dev", "kafka", "down")
        assert down.returncode == 0 and "stopped" in down.stdout
        assert our_java_pids(home) == [], "down left a java process of ours behind"
        assert cli(home, "dev", "kafka", "status").returncode == 1

        # No stale lock or pid file stops the next start, and the data dir is reused (formatted once).
        restarted = cli(home, "dev", "kafka", "up")
        assert restarted.returncode == 0, restarted.stderr + restarted.stdout
        assert "is up" in restarted.stdout
    finally:
        cli(home, "dev", "kafka", "down")
    assert our_java_pids(home) == []


def test_tool_runs_kafkas_own_topic_command(kafka_bootstrap: str) -> None:
    topic = f"tool-check.{os.getpid()}.{os.urandom(3).hex()}"
    created = cli(
        Path("/nonexistent"),
        "dev",
        "kafka",
        "tool",
        "kafka-topics",
        "--bootstrap-server",
        kafka_bootstrap,
        "--create",
        "--topic",
        topic,
        "--partitions",
        "2",
        timeout=60,
    )
    assert created.returncode == 0, created.stderr
    described = cli(
        Path("/nonexistent"),
        "dev",
        "kafka",
        "tool",
        "kafka-topics",
        "--bootstrap-server",
        kafka_bootstrap,
        "--describe",
        "--topic",
        topic,
        timeout=60,
    )
    assert described.returncode == 0, described.stderr
    assert "PartitionCount: 2" in described.stdout


def test_unknown_tool_is_a_clear_error() -> None:
    result = cli(Path("/nonexistent"), "dev", "kafka", "tool", "kafka-nope")
    assert result.returncode == 2
    assert "unknown Kafka tool 'kafka-nope'" in result.stderr and "kafka-topics" in result.stderr


@pytest.mark.parametrize("name", sorted(TOOLS))
def test_every_named_tool_starts_from_the_jars(name: str) -> None:
    # --help makes each tool print its usage without a broker; a wrong main class would say so.
    result = cli(Path("/nonexistent"), "dev", "kafka", "tool", name, "--help", timeout=60)
    output = result.stdout + result.stderr
    assert "Could not find or load main class" not in output, output[-500:]
    assert any(word in output for word in ("usage", "Usage", "Option", "Description")), output[-500:]
