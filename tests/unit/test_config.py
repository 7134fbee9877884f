"""Typed configuration from the environment: defaults, overrides, and errors that name the variable."""

from __future__ import annotations

import subprocess
import sys

import pytest

from newsstream.config import Config
from newsstream.errors import ConfigError


def test_defaults_match_the_design() -> None:
    config = Config.from_env({})
    assert config.kafka.bootstrap_servers == "localhost:9092"
    assert config.topics.raw == "news.raw.v1" and config.topics.dlq == "news.dlq.v1"
    assert config.allow_private_addresses is False
    assert config.port_for("normalize") == 9102


def test_variables_are_read() -> None:
    config = Config.from_env(
        {
            "KAFKA_BOOTSTRAP_SERVERS": "a:1,b:2",
            "NEWSSTREAM_TOPIC_RAW": "raw.x",
            "NEWSSTREAM_METRICS_PORT": "9999",
            "NEWSSTREAM_ALLOW_PRIVATE_ADDRESSES": "1",
            "KAFKA_SECURITY_PROTOCOL": "sasl_ssl",
            "KAFKA_SASL_MECHANISM": "PLAIN",
            "KAFKA_SASL_USERNAME": "u",
            "KAFKA_SASL_PASSWORD": "s3cr3t-pw",
        }
    )
    assert config.kafka.client_options()["bootstrap_servers"] == ["a:1", "b:2"]
    assert config.kafka.client_options()["sasl_plain_username"] == "u"
    assert config.kafka.security_protocol == "SASL_SSL"
    assert config.topics.raw == "raw.x" and config.port_for("normalize") == 9999
    assert config.allow_private_addresses is True
    assert "s3cr3t-pw" not in repr(config.kafka), "the SASL password must not appear in logs or reprs"


@pytest.mark.parametrize(
    ("env", "named"),
    [
        ({"NEWSSTREAM_METRICS_PORT": "abc"}, "NEWSSTREAM_METRICS_PORT"),
        ({"NEWSSTREAM_METRICS_PORT": "70000"}, "NEWSSTREAM_METRICS_PORT"),
        ({"NEWSSTREAM_ALLOW_PRIVATE_ADDRESSES": "maybe"}, "NEWSSTREAM_ALLOW_PRIVATE_ADDRESSES"),
        ({"KAFKA_SECURITY_PROTOCOL": "TLS"}, "KAFKA_SECURITY_PROTOCOL"),
        ({"KAFKA_SECURITY_PROTOCOL": "SASL_SSL"}, "KAFKA_SASL_MECHANISM"),
        ({"NEWSSTREAM_PARTITIONS": "0"}, "NEWSSTREAM_PARTITIONS"),
    ],
)
def test_malformed_values_name_the_variable(env: dict[str, str], named: str) -> None:
    with pytest.raises(ConfigError, match=named):
        Config.from_env(env)


def test_a_malformed_variable_stops_start_up_with_its_name() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "newsstream.cli", "topics", "create"],
        env={"NEWSSTREAM_METRICS_PORT": "abc", "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert result.returncode == 2
    assert "NEWSSTREAM_METRICS_PORT='abc'" in result.stderr
    assert "Traceback" not in result.stderr
