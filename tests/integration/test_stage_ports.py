"""`normalize` and `detect-corrections` take --metrics-port, as `produce` and `pages` do."""

from __future__ import annotations

import signal
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from newsstream.config import Config
from newsstream.topics import create_topics
from tests.integration.helpers import stage_env, wait_http

pytestmark = pytest.mark.integration


@pytest.mark.parametrize("stage", ["normalize", "detect-corrections"])
def test_metrics_port_flag(stage: str, kafka_config: Config, tmp_path: Path) -> None:
    create_topics(kafka_config)
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    env = stage_env(kafka_config, NEWSSTREAM_METRICS_HOST="127.0.0.1", NEWSSTREAM_METRICS_PORT="1")  # flag wins
    with (tmp_path / "stage.log").open("wb") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "newsstream.cli", stage, "--metrics-port", str(port), "--group", f"g-{port}"],
            env=env, stdout=log, stderr=subprocess.STDOUT,
        )  # fmt: skip
    try:
        wait_http(f"http://127.0.0.1:{port}/metrics", timeout_s=60)
    finally:
        process.send_signal(signal.SIGTERM)
        code = process.wait(30)
    assert code == 0, (tmp_path / "stage.log").read_text()[-2000:]
