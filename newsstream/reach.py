"""Can this process reach the Kafka bootstrap servers at all? A quick answer, with the reason.

kafka-python waits 30 s and then says only "Unable to bootstrap". Before a short-lived command
builds its clients, :func:`check` resolves each bootstrap address and opens a TCP connection with a
short timeout, so a typo in a host name fails at once with the resolver's reason, and a closed port
with "connection refused". A TCP answer does not prove it is Kafka (the client still checks that).
:func:`describe` then says what answers (cluster id, brokers, protocol version), for `dev kafka status`.
"""

from __future__ import annotations

import logging
import socket
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from newsstream.errors import ConfigError

CONNECT_TIMEOUT_S = 3.0


def _split(address: str) -> tuple[str, int]:
    host, sep, port = address.strip().rpartition(":")
    if not sep or not port.isdigit():
        raise ConfigError(f"KAFKA_BOOTSTRAP_SERVERS: {address!r} is not HOST:PORT")
    return host.strip("[]"), int(port)


def probe(address: str, timeout_s: float = CONNECT_TIMEOUT_S) -> str | None:
    """None when ``address`` accepts a TCP connection, else why not (DNS, refused, no answer)."""
    host, port = _split(address)
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except socket.gaierror as exc:
        return f"{address}: cannot resolve host {host!r} ({exc.strerror})"
    reasons = []
    for family, kind, proto, _, sockaddr in infos:
        with socket.socket(family, kind, proto) as sock:
            sock.settimeout(timeout_s)
            try:
                sock.connect(sockaddr)
                return None
            except TimeoutError:
                reasons.append(f"no answer from {sockaddr[0]} within {timeout_s:.0f} s")
            except OSError as exc:
                reasons.append(f"{sockaddr[0]}: {exc.strerror or exc}")
    return f"{address}: " + "; ".join(dict.fromkeys(reasons))


def check(bootstrap_servers: str, timeout_s: float = CONNECT_TIMEOUT_S) -> None:
    """ConfigError with every address's reason when none of the bootstrap servers accepts a connection."""
    reasons = []
    for address in bootstrap_servers.split(","):
        if not address.strip():
            continue
        reason = probe(address, timeout_s)
        if reason is None:
            return
        reasons.append(reason)
    raise ConfigError(
        "no Kafka broker reachable: " + " | ".join(reasons) + " (check KAFKA_BOOTSTRAP_SERVERS or "
        "--bootstrap-servers; `newsstream dev kafka up` starts a local broker)"
    )


def diagnose(bootstrap_servers: str, timeout_s: float = CONNECT_TIMEOUT_S) -> str:
    """Why a Kafka call may have timed out, in one line ("" when every address answers TCP)."""
    try:
        check(bootstrap_servers, timeout_s)
    except ConfigError as exc:
        return str(exc)
    return ""


@contextmanager
def quiet_admin(bootstrap: str, timeout_s: float = 3.0, **client_options: Any) -> Iterator[Any]:
    """A KafkaAdminClient for ``bootstrap``, or None when nothing answers TCP (no 30 s bootstrap wait);
    kafka-python's own log is silenced meanwhile (a refused connection is the expected answer while a
    broker starts). Kafka and socket errors inside the block propagate; the client is always closed."""
    from kafka import KafkaAdminClient

    if all(probe(address, timeout_s) is not None for address in bootstrap.split(",")):
        yield None
        return
    kafka_log = logging.getLogger("kafka")
    level = kafka_log.level
    kafka_log.setLevel(logging.CRITICAL)
    admin = None
    try:
        admin = KafkaAdminClient(
            bootstrap_servers=bootstrap.split(","),
            request_timeout_ms=int(timeout_s * 1000),
            client_id="newsstream-dev",
            **client_options,
        )
        yield admin
    finally:
        if admin is not None:
            admin.close()
        kafka_log.setLevel(level)


def describe(bootstrap: str, timeout_s: float = 3.0) -> dict[str, Any] | None:
    """What answers at ``bootstrap``: cluster id, brokers and the protocol version it speaks
    (e.g. ``4.3``), or None when nothing answers a metadata request."""
    from kafka.errors import KafkaError

    try:
        with quiet_admin(bootstrap, timeout_s) as admin:
            if admin is None:
                return None
            cluster = admin.describe_cluster()
            version = admin._client.check_version()  # noqa: SLF001 - the public API has no version query
            return {
                "cluster_id": cluster.get("cluster_id"),
                "brokers": [f"{b['host']}:{b['port']}" for b in cluster.get("brokers", [])],
                "version": ".".join(str(v) for v in version) if version else "?",
            }
    except (KafkaError, OSError):
        return None
