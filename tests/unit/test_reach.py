"""Unreachable brokers and blocked feeds say why, and what to set."""

from __future__ import annotations

import ipaddress
import os
import socket
import subprocess
import sys

from kafka.errors import KafkaTimeoutError

from newsstream.cli import kafka_error_text
from producers.ssrf import AddressPolicy


def _tail(bootstrap: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "newsstream.cli", "tail", "corrections", "--timeout", "1", "--bootstrap-servers",
         bootstrap],
        env=os.environ, capture_output=True, text=True, timeout=120,
    )  # fmt: skip


def test_an_unknown_host_names_the_resolver_error() -> None:
    result = _tail("no-such-broker.invalid:9092")
    assert result.returncode == 2
    assert "cannot resolve host 'no-such-broker.invalid'" in result.stderr
    assert "KafkaTimeoutError" not in result.stderr  # it never got as far as kafka-python's 30 s wait


def test_a_closed_port_says_connection_refused() -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]  # bound, never listening: connections are refused
        result = _tail(f"127.0.0.1:{port}")
    assert result.returncode == 2
    assert f"127.0.0.1:{port}" in result.stderr and "refused" in result.stderr


def test_run_names_the_resolver_error_too(tmp_path) -> None:  # type: ignore[no-untyped-def]
    ports = []
    for _ in range(6):
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            ports.append(sock.getsockname()[1])
    env = {**os.environ, "NEWSSTREAM_STATE_DIR": str(tmp_path), "NEWSSTREAM_METRICS_HOST": "127.0.0.1",
           "NEWSSTREAM_WEB_PORT": str(ports[5]),
           **{f"NEWSSTREAM_METRICS_PORT_{s}": str(p) for s, p in zip(
               ("PRODUCE", "NORMALIZE", "DETECT_CORRECTIONS", "PAGES", "ARCHIVE"), ports, strict=False)}}  # fmt: skip
    result = subprocess.run(
        [sys.executable, "-m", "newsstream.cli", "run", "--bootstrap-servers", "no-such-broker.invalid:9092"],
        env=env, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert result.returncode == 2, result.stderr
    assert "cannot resolve host 'no-such-broker.invalid'" in result.stderr


def test_kafka_errors_are_named_once() -> None:
    assert kafka_error_text(KafkaTimeoutError("Unable to bootstrap")).count("KafkaTimeoutError") == 1


def test_a_blocked_private_address_names_both_settings() -> None:
    reason = AddressPolicy().reason(ipaddress.ip_address("127.0.0.1"))
    assert reason is not None and "loopback" in reason
    assert "NEWSSTREAM_ALLOWED_NETWORKS=127.0.0.1/32" in reason and "NEWSSTREAM_ALLOW_PRIVATE_ADDRESSES=1" in reason
    assert AddressPolicy(allowed_networks=["127.0.0.1/32"]).reason(ipaddress.ip_address("127.0.0.1")) is None
