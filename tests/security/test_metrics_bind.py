"""``/metrics`` listens where NEWSSTREAM_METRICS_HOST says: loopback keeps it on this machine,
the default 0.0.0.0 exposes it (what a container needs). Checked on the sockets each real stage
process holds in LISTEN state (as ``ss -ltnp`` would show them), and by connecting: a server on
127.0.0.1 refuses a connection to 127.0.0.2, one on 0.0.0.0 accepts it.

The produce stage runs with its default SSRF guard on and a feed list naming a loopback server:
its ``/metrics`` shows the fetch as ``blocked`` and the server sees no request.
"""

from __future__ import annotations

import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
from prometheus_client import CollectorRegistry
from prometheus_client.parser import text_string_to_metric_families

from newsstream.config import Config
from newsstream.errors import ConfigError
from newsstream.health import HealthServer
from newsstream.topics import create_topics, topic_specs
from tests.integration.helpers import stage_env, wait_http
from tests.integration.test_fetch import Site, send
from tests.security.netstat import connects, listening

PORTS = {"normalize": 19650, "normalize-default": 19651, "detect-corrections": 19652, "produce": 19653, "demo": 19654}


# --- the server itself (no broker) -------------------------------------------------------------


def test_default_host_is_all_interfaces_and_the_variable_overrides_it() -> None:
    assert Config().metrics_host == "0.0.0.0"  # noqa: S104
    assert Config.from_env({}).metrics_host == "0.0.0.0"  # noqa: S104
    assert Config.from_env({"NEWSSTREAM_METRICS_HOST": "127.0.0.1"}).metrics_host == "127.0.0.1"


@pytest.mark.parametrize(("host", "other"), [("127.0.0.1", "127.0.0.2"), ("::1", "127.0.0.1")])
def test_health_server_binds_only_the_given_address(host: str, other: str) -> None:
    import os

    server = HealthServer(CollectorRegistry(), host, 0).start()
    try:
        assert (host, server.port) in listening(os.getpid())
        assert server.host == host
        assert connects(host, server.port)
        assert not connects(other, server.port), f"reachable on {other} though bound to {host}"
    finally:
        server.stop()


def test_health_server_on_all_interfaces_is_reachable_on_any_local_address() -> None:
    server = HealthServer(CollectorRegistry(), "0.0.0.0", 0).start()  # noqa: S104
    try:
        assert connects("127.0.0.1", server.port) and connects("127.0.0.2", server.port)
    finally:
        server.stop()


def test_an_unusable_host_is_a_config_error_naming_the_variable() -> None:
    with pytest.raises(ConfigError, match="NEWSSTREAM_METRICS_HOST"):
        HealthServer(CollectorRegistry(), "no-such-host.invalid", 0)
    with pytest.raises(ConfigError, match="NEWSSTREAM_METRICS_HOST"):
        HealthServer(CollectorRegistry(), "192.0.2.1", 0)  # not an address of this machine


# --- every stage, as a process ----------------------------------------------------------------


@pytest.fixture
def config(kafka_config: Config) -> Iterator[Config]:
    """Unique topics on the shared broker, created for the stages and deleted afterwards."""
    from newsstream.kafka_clients import make_admin

    list(create_topics(kafka_config))
    yield kafka_config
    admin = make_admin(kafka_config.kafka)
    try:
        admin.delete_topics([spec.name for spec in topic_specs(kafka_config)])
    finally:
        admin.close()


def _start(config: Config, args: list[str], log: Path, **env: str) -> subprocess.Popen[bytes]:
    full_env = stage_env(config, **env)
    full_env.pop("NEWSSTREAM_ALLOW_PRIVATE_ADDRESSES")  # the SSRF guard stays at its default (on)
    if "NEWSSTREAM_METRICS_HOST" not in env:
        full_env.pop("NEWSSTREAM_METRICS_HOST", None)
    out = log.open("ab")
    return subprocess.Popen([sys.executable, "-m", "newsstream.cli", *args], env=full_env, stdout=out, stderr=out)


def _stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def _blocked_fetches(port: int) -> float:
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5) as response:
        text = response.read().decode()
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            if sample.name == "newsstream_feed_fetches_total" and sample.labels.get("outcome") == "blocked":
                return sample.value
    return 0.0


@pytest.mark.integration
def test_every_stage_binds_its_metrics_where_configured(config: Config, tmp_path: Path) -> None:
    feed_server = Site().start()  # a feed on loopback: the produce stage must refuse it
    feed_server.routes["/rss.xml"] = lambda r: send(r, 200, b"<rss version='2.0'><channel/></rss>")
    feeds = tmp_path / "feeds.toml"
    feeds.write_text(f'[[feeds]]\nurl = "{feed_server.url("/rss.xml")}"\nname = "loopback"\ninterval = "1s"\n')
    loopback = {"NEWSSTREAM_METRICS_HOST": "127.0.0.1"}
    processes = {
        "normalize": _start(config, ["normalize", "--instance-id", "bind-1"], tmp_path / "n.log",
                            NEWSSTREAM_METRICS_PORT=str(PORTS["normalize"]), **loopback),
        "normalize-default": _start(config, ["normalize", "--instance-id", "bind-2"], tmp_path / "n2.log",
                                    NEWSSTREAM_METRICS_PORT=str(PORTS["normalize-default"])),
        "detect-corrections": _start(config, ["detect-corrections", "--instance-id", "bind-3"], tmp_path / "d.log",
                                     NEWSSTREAM_METRICS_PORT=str(PORTS["detect-corrections"]), **loopback),
        "produce": _start(config, ["produce", "--feeds", str(feeds)], tmp_path / "p.log",
                          NEWSSTREAM_METRICS_PORT=str(PORTS["produce"]), NEWSSTREAM_POLL_FLOOR_SECONDS="1", **loopback),
        "demo": _start(config, ["dev", "feeds", "serve", "--port", str(PORTS["demo"]), "--step-seconds", "0"],
                       tmp_path / "demo.log"),
    }  # fmt: skip
    try:
        for name, process in processes.items():
            port = PORTS[name]
            path = "/_state" if name == "demo" else "/healthz"
            wait_http(f"http://127.0.0.1:{port}{path}", timeout_s=60)
            bound = listening(process.pid)
            expected = "0.0.0.0" if name == "normalize-default" else "127.0.0.1"  # noqa: S104
            assert bound == {(expected, port)}, (name, bound)
            assert connects("127.0.0.2", port) == (expected == "0.0.0.0"), name  # noqa: S104

        deadline = time.monotonic() + 30
        while _blocked_fetches(PORTS["produce"]) < 1 and time.monotonic() < deadline:
            time.sleep(0.3)
        assert _blocked_fetches(PORTS["produce"]) >= 1, (tmp_path / "p.log").read_text()[-2000:]
        assert feed_server.hits == {}, "the produce stage fetched a loopback feed with the SSRF guard on"
    finally:
        for process in processes.values():
            _stop(process)
        feed_server.stop()
