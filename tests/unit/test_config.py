"""Typed configuration from the environment: defaults, overrides, and errors that name the variable."""

from __future__ import annotations

import subprocess
import sys

import pytest

from consumers.specs import NORMALIZE
from newsstream.config import Config
from newsstream.errors import ConfigError
from producers.pages.settings import DEFAULT_LADDER, PagesConfig


def test_defaults_match_the_design() -> None:
    config = Config.from_env({})
    assert config.kafka.bootstrap_servers == "localhost:9092"
    assert config.topics.raw == "news.raw.v1" and config.topics.dlq == "news.dlq.v1"
    assert config.allow_private_addresses is False
    assert NORMALIZE.port(config) == 9102


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
    assert config.topics.raw == "raw.x" and NORMALIZE.port(config) == 9999
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
        ({"NEWSSTREAM_PAGES_LADDER": "15m,1x"}, "NEWSSTREAM_PAGES_LADDER"),
        ({"NEWSSTREAM_PAGES_LADDER": "1h,15m"}, "NEWSSTREAM_PAGES_LADDER"),  # not increasing
        ({"NEWSSTREAM_PAGES_LADDER": "0s,1h"}, "NEWSSTREAM_PAGES_LADDER"),
        ({"NEWSSTREAM_PAGES_PUBLISHER_LADDERS": "Rudaw"}, "NEWSSTREAM_PAGES_PUBLISHER_LADDERS"),
        ({"NEWSSTREAM_PAGES_PUBLISHER_LADDERS": "=1h"}, "NEWSSTREAM_PAGES_PUBLISHER_LADDERS"),
        ({"NEWSSTREAM_PAGES_PUBLISHER_LADDERS": "A=1h;B=soon"}, "NEWSSTREAM_PAGES_PUBLISHER_LADDERS"),
        ({"NEWSSTREAM_PAGES_PUBLISHER_LADDERS": "A=1h;A=off"}, "NEWSSTREAM_PAGES_PUBLISHER_LADDERS"),
        ({"NEWSSTREAM_PAGES_HOST_DELAY_SECONDS": "five"}, "NEWSSTREAM_PAGES_HOST_DELAY_SECONDS"),
        ({"NEWSSTREAM_PAGES_HOST_DELAY_SECONDS": "-1"}, "NEWSSTREAM_PAGES_HOST_DELAY_SECONDS"),
        ({"NEWSSTREAM_PAGES_HOST_DELAY_SECONDS": "nan"}, "NEWSSTREAM_PAGES_HOST_DELAY_SECONDS"),
        ({"NEWSSTREAM_PAGES_GONE_CONFIRM": "10 minutes"}, "NEWSSTREAM_PAGES_GONE_CONFIRM"),
        ({"NEWSSTREAM_PAGES_MAX_AGE": "-1d"}, "NEWSSTREAM_PAGES_MAX_AGE"),
    ],
)
def test_malformed_values_name_the_variable(env: dict[str, str], named: str) -> None:
    with pytest.raises(ConfigError, match=named):
        # the pages stage's own variables are read with its settings, not by the runtime's Config
        PagesConfig.from_env(env) if named.startswith("NEWSSTREAM_PAGES_") else Config.from_env(env)


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


def test_pages_settings_default_to_the_stage_defaults() -> None:
    from producers.pages.ladder import DEFAULT_LADDER as STAGE_LADDER

    pages = PagesConfig.from_env({})
    assert pages == PagesConfig()
    assert pages.ladder == DEFAULT_LADDER == STAGE_LADDER
    assert len(pages.ladder) == 8 and pages.ladder[0] == 900 and pages.ladder[-1] == 30 * 86400
    assert pages.publisher_ladders == {}
    assert (pages.host_delay_seconds, pages.gone_confirm_seconds, pages.max_age_seconds) == (5.0, 600.0, 30 * 86400.0)


def test_pages_variables_are_read() -> None:
    pages = PagesConfig.from_env(
        {
            "NEWSSTREAM_PAGES_LADDER": "30s, 2m,1h",
            "NEWSSTREAM_PAGES_PUBLISHER_LADDERS": "Rudaw=15m,1d; Daily Wire=off;",
            "NEWSSTREAM_PAGES_HOST_DELAY_SECONDS": "0.5",
            "NEWSSTREAM_PAGES_GONE_CONFIRM": "2m",
            "NEWSSTREAM_PAGES_MAX_AGE": "0",
        }
    )
    assert pages.ladder == (30.0, 120.0, 3600.0)
    assert pages.publisher_ladders == {"Rudaw": (900.0, 86400.0), "Daily Wire": ()}
    assert pages.host_delay_seconds == 0.5
    assert pages.gone_confirm_seconds == 120.0
    assert pages.max_age_seconds == 0.0  # no limit
    assert PagesConfig.from_env({"NEWSSTREAM_PAGES_LADDER": "off"}).ladder == ()
    assert PagesConfig.from_env({"NEWSSTREAM_PAGES_HOST_DELAY_SECONDS": "0"}).host_delay_seconds == 0.0


def test_pages_flags_override_the_variables() -> None:
    from newsstream.cli import build_parser
    from newsstream.cli.pages import build_settings

    env = PagesConfig.from_env(
        {
            "NEWSSTREAM_PAGES_LADDER": "1h,1d",
            "NEWSSTREAM_PAGES_PUBLISHER_LADDERS": "A=off;B=2h",
            "NEWSSTREAM_PAGES_HOST_DELAY_SECONDS": "2",
            "NEWSSTREAM_PAGES_GONE_CONFIRM": "1m",
            "NEWSSTREAM_PAGES_MAX_AGE": "0",
        }
    )
    parser = build_parser()
    from_env = build_settings(parser.parse_args(["pages"]), "i", env)
    assert from_env.revisit.policy.default == (3600.0, 86400.0)
    assert dict(from_env.revisit.policy.per_publisher) == {"A": (), "B": (7200.0,)}
    assert from_env.min_host_delay_s == 2.0 and from_env.revisit.gone_confirm_s == 60.0 and from_env.max_age_s == 0.0
    flags = ["pages", "--ladder", "off", "--publisher-ladder", "B=1m", "--publisher-ladder", "C=5m",
             "--host-delay", "0", "--gone-confirm", "5s", "--max-age", "1d"]  # fmt: skip
    overridden = build_settings(parser.parse_args(flags), "i", env)
    assert overridden.revisit.policy.default == ()
    # a --publisher-ladder replaces that publisher's entry; the other entries of the variable stay
    assert dict(overridden.revisit.policy.per_publisher) == {"A": (), "B": (60.0,), "C": (300.0,)}
    assert overridden.min_host_delay_s == 0.0 and overridden.revisit.gone_confirm_s == 5.0
    assert overridden.max_age_s == 86400.0
    with pytest.raises(ConfigError, match="--gone-confirm"):
        build_settings(parser.parse_args(["pages", "--gone-confirm", "soon"]), "i", env)


def test_a_malformed_pages_variable_stops_the_pages_stage_with_its_name() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "newsstream.cli", "pages"],
        env={"NEWSSTREAM_PAGES_LADDER": "1d,1h", "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert result.returncode == 2
    assert "NEWSSTREAM_PAGES_LADDER='1d,1h'" in result.stderr
    assert "Traceback" not in result.stderr


def test_allowed_networks_reach_the_fetcher_settings() -> None:
    from producers.fetch import FetchSettings

    config = Config.from_env({"NEWSSTREAM_ALLOWED_NETWORKS": "10.1.2.0/24, fd00::/8,192.168.7.9"})
    assert config.allowed_networks == ("10.1.2.0/24", "fd00::/8", "192.168.7.9/32")
    settings = FetchSettings.from_config(config, per_host_limit=1)
    assert settings.allowed_networks == config.allowed_networks and settings.per_host_limit == 1
    assert settings.allow_private_addresses is False
    with pytest.raises(ConfigError, match="NEWSSTREAM_ALLOWED_NETWORKS: 'intranet'"):
        Config.from_env({"NEWSSTREAM_ALLOWED_NETWORKS": "10.0.0.0/8,intranet"})
