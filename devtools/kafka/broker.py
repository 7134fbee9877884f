"""The dev broker's processes: start, wait until they answer, stop, report.

``up`` resolves jars when missing, formats the KRaft storage once, starts the broker as a
background process with its log in a file, and returns only when a metadata request succeeds.
``down`` stops it with SIGTERM (controlled shutdown) and escalates to SIGKILL only after a wait.
With ``brokers=3`` it runs a three-node cluster, each node a broker and a controller.
With ``security=BrokerSecurity(...)`` the single node's client listener asks for SASL/PLAIN
(SASL_PLAINTEXT on the usual port, and SASL_SSL on the next-but-one port when a keystore is given),
so the client settings (KAFKA_SECURITY_PROTOCOL, KAFKA_SASL_*, KAFKA_SSL_CAFILE) can be tested
against a real broker.
"""

from __future__ import annotations

import logging
import os
import signal
import subprocess
import time
from pathlib import Path
from typing import Any

from devtools.kafka import layout
from devtools.kafka.jars import ensure_jars, java_command, kafka_version
from devtools.kafka.layout import BROKER_LOG_CONFIG, READY_TIMEOUT_S, DevBrokerError, Node, bootstrap_servers, nodes
from devtools.kafka.properties import BrokerSecurity, format_storage, random_cluster_id, write_properties

log = logging.getLogger("devtools.kafka")


def _pid_alive(node: Node) -> int | None:
    try:
        pid = int(node.pid_file.read_text().strip())
    except (FileNotFoundError, ValueError):
        return None
    try:
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return None
    # Guard against pid reuse: the process must be a Kafka broker using our properties file.
    if b"kafka.Kafka" in cmdline and str(node.properties).encode() in cmdline:
        return pid
    return None


def _exited(node: Node) -> bool:
    """True when the node's recorded process is gone or a zombie (a just-started JVM may not yet
    show its final command line, so this does not use the cmdline check of ``_pid_alive``)."""
    try:
        pid = int(node.pid_file.read_text().strip())
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (FileNotFoundError, ValueError, IndexError, OSError):
        return True
    return state in ("Z", "X")


def answers(bootstrap: str, timeout_s: float = 3.0, **client_options: Any) -> bool:
    """True when a metadata round trip to ``bootstrap`` succeeds (``client_options``: e.g. SASL)."""
    from kafka.errors import KafkaError

    from newsstream.reach import quiet_admin

    try:
        with quiet_admin(bootstrap, timeout_s, **client_options) as admin:
            if admin is None:
                return False
            admin.list_topics()
            return True
    except (KafkaError, OSError):
        return False


def _tail(path: Path, lines: int = 40) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except FileNotFoundError:
        return "(no log written)"


def start_node(node: Node, all_nodes: list[Node]) -> int:
    """Start one node's process if it is not running; return its pid."""
    pid = _pid_alive(node)
    if pid is not None:
        return pid
    (node.home / "logs").mkdir(parents=True, exist_ok=True)
    command = java_command("kafka.Kafka", BROKER_LOG_CONFIG, "512m", node.home / "logs")
    command.append(str(node.properties))
    with node.console_file.open("ab") as console:
        process = subprocess.Popen(  # noqa: S603
            command, stdout=console, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, start_new_session=True
        )
    node.pid_file.write_text(f"{process.pid}\n")
    return process.pid


def up(
    brokers: int = 1, timeout_s: float = READY_TIMEOUT_S, security: BrokerSecurity | None = None
) -> tuple[str, bool]:
    """Start the local broker(s); return (bootstrap servers, True if started now, False if already up).

    ``security`` (single node only) puts SASL/PLAIN on the client listener; see :class:`BrokerSecurity`.
    """
    if security is not None and brokers != 1:
        raise DevBrokerError("a SASL listener is supported on the single-node dev broker only")
    all_nodes = nodes(brokers)
    bootstrap = bootstrap_servers(brokers)
    probe = security.probe_options() if security is not None else {}
    if all(_pid_alive(n) for n in all_nodes) and answers(bootstrap, **probe):
        return bootstrap, False
    ensure_jars()
    cluster_file = layout.CACHE / ("cluster-id" if brokers == 1 else f"cluster-id-{brokers}")
    layout.CACHE.mkdir(parents=True, exist_ok=True)
    if not cluster_file.exists():
        cluster_file.write_text(random_cluster_id() + "\n")
    cluster_id = cluster_file.read_text().strip()
    for node in all_nodes:
        node.home.mkdir(parents=True, exist_ok=True)
        write_properties(node, all_nodes, security)
        format_storage(node, all_nodes, cluster_id)
    for node in all_nodes:
        start_node(node, all_nodes)
    wait_ready(all_nodes, timeout_s, **probe)
    return bootstrap, True


def wait_ready(all_nodes: list[Node], timeout_s: float = READY_TIMEOUT_S, **client_options: Any) -> None:
    """Block until every node answers a metadata request, or raise with the log tail."""
    deadline = time.monotonic() + timeout_s
    pending = list(all_nodes)
    while pending:
        node = pending[0]
        if _exited(node):
            raise DevBrokerError(
                f"Kafka node {node.node_id} exited during start-up; last lines of {node.log_file}:\n"
                f"{_tail(node.log_file)}\n--- console ---\n{_tail(node.console_file, 20)}"
            )
        if answers(node.bootstrap, timeout_s=2.0, **client_options):
            pending.pop(0)
            continue
        if time.monotonic() > deadline:
            raise DevBrokerError(
                f"Kafka node {node.node_id} did not answer a metadata request at {node.bootstrap} within "
                f"{timeout_s:.0f} s; last lines of {node.log_file}:\n{_tail(node.log_file)}"
            )
        time.sleep(0.3)


def stop_node(node: Node, timeout_s: float = 30.0, sig: int = signal.SIGTERM) -> bool:
    """Stop one node (SIGTERM, then SIGKILL after ``timeout_s``); True if one was running."""
    pid = _pid_alive(node)
    if pid is None:
        node.pid_file.unlink(missing_ok=True)
        return False
    os.kill(pid, sig)
    deadline = time.monotonic() + timeout_s
    while _pid_alive(node) is not None and time.monotonic() < deadline:
        time.sleep(0.2)
    if _pid_alive(node) is not None:
        log.warning("node %d ignored SIGTERM for %.0f s; sending SIGKILL", node.node_id, timeout_s)
        os.kill(pid, signal.SIGKILL)
        while _pid_alive(node) is not None:
            time.sleep(0.1)
    node.pid_file.unlink(missing_ok=True)
    return True


def down(brokers: int = 1) -> bool:
    """Stop the local broker(s) started by ``up``; True if any was running.

    Every node gets SIGTERM at once: stopped one by one, the last nodes of a cluster would wait for
    a controller quorum that is already gone.
    """
    running = [(n, pid) for n in nodes(brokers) if (pid := _pid_alive(n)) is not None]
    for _node, pid in running:
        os.kill(pid, signal.SIGTERM)
    for node in nodes(brokers):
        stop_node(node)
    return bool(running)


def status(brokers: int = 1) -> dict[str, object]:
    """Whether the local broker(s) run and answer, with bootstrap address and version."""
    all_nodes = nodes(brokers)
    pids = [_pid_alive(n) for n in all_nodes]
    bootstrap = bootstrap_servers(brokers)
    answering = any(pids) and answers(bootstrap)
    return {
        "state": "up" if answering else "down",
        "bootstrap_servers": bootstrap,
        "kafka_version": kafka_version(),
        "pids": [p for p in pids if p],
        "log": str(all_nodes[0].log_file),
    }
