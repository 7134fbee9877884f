"""`dev kafka status` says what answers when the broker is not this checkout's own."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.integration


def _status(home: Path, port: int, **env: str) -> subprocess.CompletedProcess[str]:
    full = {**os.environ, "NEWSSTREAM_KAFKA_HOME": str(home), "NEWSSTREAM_DEV_KAFKA_PORT": str(port), **env}
    return subprocess.run(
        [sys.executable, "-m", "newsstream.cli", "dev", "kafka", "status"],
        env=full, capture_output=True, text=True, timeout=120,
    )  # fmt: skip


def test_a_broker_of_another_checkout_is_reported(kafka_bootstrap: str, tmp_path: Path) -> None:
    port = int(kafka_bootstrap.rsplit(":", 1)[1])
    result = _status(tmp_path / "elsewhere", port)
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.startswith("up (not started from this checkout)")
    assert "cluster=" in result.stdout and "will not stop this one" in result.stdout


def test_down_names_what_the_configured_address_says(kafka_bootstrap: str, tmp_path: Path) -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        free = sock.getsockname()[1]
    result = _status(tmp_path / "elsewhere", free, KAFKA_BOOTSTRAP_SERVERS=kafka_bootstrap)
    assert result.returncode == 1
    assert result.stdout.startswith("down")
    assert f"KAFKA_BOOTSTRAP_SERVERS={kafka_bootstrap}: a Kafka broker answers" in result.stdout
