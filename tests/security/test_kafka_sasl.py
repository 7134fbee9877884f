"""Kafka authentication settings reach every client, against a real broker that demands them.

An isolated single-node broker from the same jars (ports 19600-19602; the shared broker is never
touched) has no plaintext client listener at all: SASL_PLAINTEXT on 19600 and SASL_SSL on 19602,
both SASL/PLAIN, the certificate signed by a CA made for the run with ``keytool``. A client that
did not pass the settings on could not even fetch metadata.

Through the real CLI and environment (KAFKA_SECURITY_PROTOCOL, KAFKA_SASL_MECHANISM,
KAFKA_SASL_USERNAME, KAFKA_SASL_PASSWORD, KAFKA_SSL_CAFILE), for each protocol:
``newsstream topics create`` (admin client) and the normalize stage end to end (its transactional
producer and group consumer; the test's own producer and read_committed consumer use the same
factories). A wrong password, no credentials, or an untrusted CA fail with the reason in the
output and a bounded wait, never a hang.
"""

from __future__ import annotations

import logging
import secrets
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from kafka.errors import KafkaError

from devtools import kafka as devkafka
from devtools.kafka import layout as devkafka_layout
from newsstream import codec
from newsstream.config import Config, KafkaSettings, Topics
from newsstream.kafka_clients import make_admin
from tests.integration.helpers import raw_article, read_committed, send_raw, stage_env, wait_http
from tests.security.certs import make_broker_certs

pytestmark = pytest.mark.integration

BASE_PORT = 19600  # SASL_PLAINTEXT; the controller takes 19601 and SASL_SSL 19602
METRICS_PORTS = {"SASL_PLAINTEXT": 19660, "SASL_SSL": 19661, "wrong": 19662}
PROTOCOLS = ["SASL_PLAINTEXT", "SASL_SSL"]
#: A failing client gives up after kafka-python's 30 s bootstrap timeout; this bounds the wait for it.
FAILURE_BOUND_S = 90


@dataclass(frozen=True)
class SaslBroker:
    home: Path
    cafile: Path
    password: str  # alice's

    def bootstrap(self, protocol: str) -> str:
        return f"127.0.0.1:{BASE_PORT + (2 if protocol == 'SASL_SSL' else 0)}"

    def settings(self, protocol: str, password: str | None = None, cafile: bool = True) -> KafkaSettings:
        return KafkaSettings(
            bootstrap_servers=self.bootstrap(protocol),
            security_protocol=protocol,
            sasl_mechanism="PLAIN",
            sasl_username="alice",
            sasl_password=password or self.password,
            ssl_cafile=str(self.cafile) if protocol == "SASL_SSL" and cafile else None,
        )

    def env(self, protocol: str, password: str | None = None) -> dict[str, str]:
        """The variables an operator sets (the same ones docker-compose and the README name)."""
        env = {
            "KAFKA_BOOTSTRAP_SERVERS": self.bootstrap(protocol),
            "KAFKA_SECURITY_PROTOCOL": protocol,
            "KAFKA_SASL_MECHANISM": "PLAIN",
            "KAFKA_SASL_USERNAME": "alice",
            "KAFKA_SASL_PASSWORD": password or self.password,
        }
        if protocol == "SASL_SSL":
            env["KAFKA_SSL_CAFILE"] = str(self.cafile)
        return env


def _with_isolated_home(home: Path, action: str, **kwargs: object) -> object:
    """Run devkafka ``action`` on the isolated broker (its home and ports, not the shared broker's)."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(devkafka_layout, "CACHE", home)
        patch.setattr(devkafka_layout, "BASE_PORT", BASE_PORT)
        return getattr(devkafka, action)(**kwargs)


@pytest.fixture(scope="module")
def broker(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SaslBroker]:
    home = tmp_path_factory.mktemp("sasl-broker")
    certs = make_broker_certs(home / "certs")
    users = {"admin": secrets.token_hex(12), "alice": secrets.token_hex(12)}
    security = devkafka.BrokerSecurity(users=users, keystore=certs.keystore, keystore_password=certs.password)
    try:
        _with_isolated_home(home / "kafka", "up", security=security)
        yield SaslBroker(home=home, cafile=certs.ca_pem, password=users["alice"])
    finally:
        _with_isolated_home(home / "kafka", "down")


def _config(broker: SaslBroker, protocol: str, tmp_path: Path) -> Config:
    suffix = uuid.uuid4().hex[:8]
    topics = Topics(**{k: f"sasl.{v}.{suffix}" for k, v in vars(Topics()).items()})
    return Config(kafka=broker.settings(protocol), topics=topics, state_dir=tmp_path / "state")


def _cli(config: Config, env: dict[str, str], *args: str, log: Path | None = None) -> subprocess.Popen[bytes]:
    full = stage_env(config, **env)
    out = log.open("ab") if log else subprocess.PIPE
    return subprocess.Popen(
        [sys.executable, "-m", "newsstream.cli", *args], env=full, stdout=out, stderr=subprocess.STDOUT
    )


@pytest.fixture(scope="module")
def failing_runs(
    broker: SaslBroker, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[dict[str, subprocess.Popen[bytes]]]:
    """Clients that must fail, started early: each waits out kafka-python's bootstrap timeout while
    the other tests run, and the last test collects them."""
    folder = tmp_path_factory.mktemp("failing")
    config = _config(broker, "SASL_PLAINTEXT", folder)
    wrong = secrets.token_hex(12)
    metrics_env = {"NEWSSTREAM_METRICS_PORT": str(METRICS_PORTS["wrong"]), "NEWSSTREAM_METRICS_HOST": "127.0.0.1"}
    runs = {
        "topics create, wrong password": _cli(config, broker.env("SASL_PLAINTEXT", wrong), "topics", "create"),
        "topics create, wrong password, SASL_SSL": _cli(config, broker.env("SASL_SSL", wrong), "topics", "create"),
        "normalize stage, wrong password": _cli(
            config, broker.env("SASL_PLAINTEXT", wrong) | metrics_env, "normalize", "--instance-id", "wrong-1"
        ),
    }
    yield runs
    for process in runs.values():
        if process.poll() is None:
            process.kill()
            process.wait()


def test_a_client_without_credentials_cannot_even_read_metadata(broker: SaslBroker, failing_runs: dict) -> None:
    """Proves the listener demands SASL, so the successes below are due to the settings."""
    plain = KafkaSettings(bootstrap_servers=broker.bootstrap("SASL_PLAINTEXT"))
    with pytest.raises(KafkaError):
        make_admin(plain, bootstrap_timeout_ms=2000)


def test_sasl_ssl_refuses_a_broker_certificate_the_client_cannot_verify(
    broker: SaslBroker, caplog: pytest.LogCaptureFixture
) -> None:
    """Without KAFKA_SSL_CAFILE the system CAs do not know the test CA: the handshake fails on it."""
    caplog.set_level(logging.WARNING, logger="kafka")
    with pytest.raises(KafkaError):
        make_admin(broker.settings("SASL_SSL", cafile=False), bootstrap_timeout_ms=2000)
    assert "CERTIFICATE_VERIFY_FAILED" in caplog.text and "self-signed certificate in certificate chain" in caplog.text


def test_sasl_ssl_checks_the_broker_name(broker: SaslBroker, caplog: pytest.LogCaptureFixture) -> None:
    """The certificate names 127.0.0.1 only: reaching the same broker as ``localhost`` must fail."""
    caplog.set_level(logging.WARNING, logger="kafka")
    settings = broker.settings("SASL_SSL")
    by_name = KafkaSettings(**{**vars(settings), "bootstrap_servers": f"localhost:{BASE_PORT + 2}"})
    with pytest.raises(KafkaError):
        make_admin(by_name, bootstrap_timeout_ms=2000)
    assert "CERTIFICATE_VERIFY_FAILED" in caplog.text and "mismatch" in caplog.text


@pytest.mark.parametrize("protocol", PROTOCOLS)
def test_topics_create_through_the_cli(broker: SaslBroker, tmp_path: Path, protocol: str) -> None:
    config = _config(broker, protocol, tmp_path)
    run = _cli(config, broker.env(protocol), "topics", "create")
    output, _ = run.communicate(timeout=FAILURE_BOUND_S)
    assert run.returncode == 0, output.decode()
    assert output.decode().count("created") == 8
    wanted = {config.topics.raw, config.topics.normalized, config.topics.dlq}
    admin = make_admin(config.kafka)  # an authenticated admin client sees them
    try:
        # the broker answers from its metadata cache, which may trail the controller by a moment
        deadline = time.monotonic() + 15
        while not wanted <= set(listed := admin.list_topics()) and time.monotonic() < deadline:
            time.sleep(0.5)
        assert wanted <= set(listed), sorted(wanted - set(listed))
    finally:
        admin.close()


@pytest.mark.parametrize("protocol", PROTOCOLS)
def test_normalize_stage_end_to_end(broker: SaslBroker, tmp_path: Path, protocol: str) -> None:
    config = _config(broker, protocol, tmp_path)
    created = _cli(config, broker.env(protocol), "topics", "create")
    assert created.wait(timeout=FAILURE_BOUND_S) == 0
    article = raw_article(1, paragraphs=["Officials met on Tuesday.<script>alert(1)</script>", "It ended at noon."])
    send_raw(config, [article])  # make_producer with the SASL settings
    port = METRICS_PORTS[protocol]
    env = {**broker.env(protocol), "NEWSSTREAM_METRICS_PORT": str(port), "NEWSSTREAM_METRICS_HOST": "127.0.0.1"}
    stage = _cli(config, env, "normalize", "--instance-id", f"sasl-{protocol}", log=tmp_path / "stage.log")
    try:
        records = read_committed(config, config.topics.normalized, 1, timeout_s=60, quiet_s=1)
        wait_http(f"http://127.0.0.1:{port}/readyz", timeout_s=30)
    finally:
        stage.terminate()
        exit_code = stage.wait(timeout=20)
    log = (tmp_path / "stage.log").read_text()
    assert len(records) == 1, log[-3000:]
    normalized = codec.loads(records[0].value)
    assert normalized["id"] == article["article_id"]
    assert "Officials met on Tuesday." in normalized["body_text"] and "<script" not in normalized["body_html"]
    assert exit_code == 0, log[-3000:]


def test_wrong_password_fails_with_the_reason_and_does_not_hang(failing_runs: dict) -> None:
    """Collected last: every failing client has ended on its own, non-zero, naming the cause."""
    deadline = time.monotonic() + FAILURE_BOUND_S
    for name, process in failing_runs.items():
        try:
            output, _ = process.communicate(timeout=max(1.0, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            pytest.fail(f"{name}: still running after {FAILURE_BOUND_S} s (a hang)")
        text = output.decode(errors="replace")
        assert process.returncode != 0, f"{name} succeeded with a wrong password:\n{text[-2000:]}"
        assert "Authentication failed" in text and "Invalid username or password" in text, f"{name}:\n{text[-3000:]}"
