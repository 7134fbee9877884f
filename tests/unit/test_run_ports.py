"""Metrics ports of `newsstream run`: per stage by flag and variable; a taken port names the stage and the fix."""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys

import pytest

from newsstream.cli._ports import check_free, stage_ports
from newsstream.errors import ConfigError


def test_defaults_base_variable_stage_variable_and_flag_in_that_order() -> None:
    assert stage_ports([], {}) == {
        "produce": 9101, "normalize": 9102, "detect-corrections": 9103, "pages": 9104, "archive": 9106,
    }  # fmt: skip
    env = {"NEWSSTREAM_METRICS_PORT": "19101", "NEWSSTREAM_METRICS_PORT_PAGES": "19200"}
    assert stage_ports([], env) == {
        "produce": 19101, "normalize": 19102, "detect-corrections": 19103, "pages": 19200, "archive": 19105,
    }  # fmt: skip
    ports = stage_ports(["detect=19300", "pages=19301"], env)
    assert ports["detect-corrections"] == 19300 and ports["pages"] == 19301


@pytest.mark.parametrize(
    ("flags", "env", "message"),
    [
        (["nope=1"], {}, "STAGE one of produce, normalize"),
        (["normalize"], {}, "expected STAGE=PORT"),
        (["normalize=x"], {}, "not a port number"),
        ([], {"NEWSSTREAM_METRICS_PORT_NORMALIZE": "70000"}, "NEWSSTREAM_METRICS_PORT_NORMALIZE: 70000"),
        (["normalize=9101"], {}, "stages produce and normalize would both use metrics port 9101"),
    ],
)
def test_bad_ports_are_named(flags: list[str], env: dict[str, str], message: str) -> None:
    with pytest.raises(ConfigError, match=re.escape(message)):
        stage_ports(flags, env)


def test_a_taken_port_names_the_stage_and_a_free_port() -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        with pytest.raises(ConfigError) as caught:
            check_free("127.0.0.1", {"produce": _free(), "normalize": port})
    text = str(caught.value)
    assert f"metrics port {port} of stage normalize is taken" in text
    spare = int(re.search(r"--metrics-port normalize=(\d+)", text).group(1))  # type: ignore[union-attr]
    assert f"NEWSSTREAM_METRICS_PORT_NORMALIZE={spare}" in text
    with socket.socket() as check:
        check.bind(("127.0.0.1", spare))  # the suggested port really is free


def _free() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_run_stops_before_starting_anything_when_a_port_is_taken(tmp_path) -> None:  # type: ignore[no-untyped-def]
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        env = {**os.environ, "NEWSSTREAM_STATE_DIR": str(tmp_path), "NEWSSTREAM_METRICS_HOST": "127.0.0.1"}
        env["NEWSSTREAM_METRICS_PORT_DETECT_CORRECTIONS"] = str(port)
        env["NEWSSTREAM_METRICS_PORT"] = str(_free())
        result = subprocess.run(
            [sys.executable, "-m", "newsstream.cli", "run", "--bootstrap-servers", "127.0.0.1:1"],
            env=env, capture_output=True, text=True, timeout=60,
        )  # fmt: skip
    assert result.returncode == 2, result.stderr
    assert f"metrics port {port} of stage detect-corrections is taken" in result.stderr
    assert "--metrics-port detect-corrections=" in result.stderr
    assert not (tmp_path / "run").exists()  # nothing was started or recorded
