"""A real Apache Kafka broker for development and CI, run from Maven-resolved jars (no Docker).

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
import re
import shutil
import signal
import subprocess
import time
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from newsstream.errors import DevBrokerError

log = logging.getLogger(__name__)

REPO_ROOT = Path(__file__).resolve().parents[1]
POM = REPO_ROOT / "dev" / "kafka" / "pom.xml"
BROKER_LOG_CONFIG = REPO_ROOT / "dev" / "kafka" / "log4j2-broker.properties"
TOOLS_LOG_CONFIG = REPO_ROOT / "dev" / "kafka" / "log4j2-tools.properties"
#: Data and logs of the local broker(s); override to run a second, isolated broker (tests do).
CACHE = Path(os.environ.get("NEWSSTREAM_KAFKA_HOME", REPO_ROOT / ".cache" / "kafka"))
LIBS = Path(os.environ.get("NEWSSTREAM_KAFKA_LIBS", REPO_ROOT / ".cache" / "kafka" / "libs"))
#: Broker port of the single node (its controller listens on the next port).
BASE_PORT = int(os.environ.get("NEWSSTREAM_DEV_KAFKA_PORT", "9092"))
READY_TIMEOUT_S = 60.0

#: Kafka's own tools, by the names of the scripts in Kafka's tarball.
TOOLS: dict[str, str] = {
    "kafka-topics": "org.apache.kafka.tools.TopicCommand",
    "kafka-console-consumer": "org.apache.kafka.tools.consumer.ConsoleConsumer",
    "kafka-console-producer": "org.apache.kafka.tools.ConsoleProducer",
    "kafka-consumer-groups": "org.apache.kafka.tools.consumer.group.ConsumerGroupCommand",
    "kafka-producer-perf-test": "org.apache.kafka.tools.ProducerPerformance",
    "kafka-consumer-perf-test": "org.apache.kafka.tools.ConsumerPerformance",
    "kafka-configs": "kafka.admin.ConfigCommand",
    "kafka-transactions": "org.apache.kafka.tools.TransactionsCommand",
    "kafka-get-offsets": "org.apache.kafka.tools.GetOffsetShell",
    "kafka-metadata-quorum": "org.apache.kafka.tools.MetadataQuorumCommand",
    "kafka-storage": "kafka.tools.StorageTool",
}


@dataclass(frozen=True)
class Node:
    """One broker+controller process of the local cluster."""

    node_id: int
    broker_port: int
    controller_port: int
    home: Path

    @property
    def pid_file(self) -> Path:
        return self.home / "broker.pid"

    @property
    def log_file(self) -> Path:
        return self.home / "logs" / "server.log"

    @property
    def console_file(self) -> Path:
        return self.home / "logs" / "console.log"

    @property
    def properties(self) -> Path:
        return self.home / "server.properties"

    @property
    def data_dir(self) -> Path:
        return self.home / "data"

    @property
    def bootstrap(self) -> str:
        return f"127.0.0.1:{self.broker_port}"


#: User names and passwords go verbatim into a JAAS line in server.properties: keep them plain.
_JAAS_SAFE = re.compile(r"^[A-Za-z0-9_.@+-]{1,128}$")


@dataclass(frozen=True)
class BrokerSecurity:
    """SASL/PLAIN on the client listener of a single-node dev broker (the controller stays PLAINTEXT).

    ``users`` maps user names to passwords; the first user is the broker's own identity (it talks
    to itself over the SASL listener for transaction markers) and the readiness probe's. No
    authorizer is configured: this tests authentication, not ACLs. With ``keystore`` (PKCS12 holding
    the broker's key, its certificate chain and the CA as a trusted entry) a second listener speaks
    SASL_SSL on ``BASE_PORT + 2`` (the readiness probe uses the SASL_PLAINTEXT listener).
    """

    users: Mapping[str, str]
    keystore: Path | None = None
    keystore_password: str | None = field(default=None, repr=False)

    def __post_init__(self) -> None:
        if not self.users:
            raise DevBrokerError("BrokerSecurity needs at least one SASL user")
        for name, password in self.users.items():
            if not (_JAAS_SAFE.match(name) and _JAAS_SAFE.match(password)):
                raise DevBrokerError(f"SASL user {name!r}: names and passwords must match {_JAAS_SAFE.pattern}")
        if self.keystore is not None and not self.keystore_password:
            raise DevBrokerError("a SASL_SSL listener needs the keystore's password")

    @property
    def broker_user(self) -> tuple[str, str]:
        return next(iter(self.users.items()))

    def jaas(self) -> str:
        user, password = self.broker_user
        entries = " ".join(f'user_{name}="{secret}"' for name, secret in self.users.items())
        return (
            f'org.apache.kafka.common.security.plain.PlainLoginModule required username="{user}" '
            f'password="{password}" {entries};'
        )

    def probe_options(self) -> dict[str, Any]:
        """kafka-python options the readiness probe authenticates with (over SASL_PLAINTEXT)."""
        user, password = self.broker_user
        return {
            "security_protocol": "SASL_PLAINTEXT",
            "sasl_mechanism": "PLAIN",
            "sasl_plain_username": user,
            "sasl_plain_password": password,
        }


def nodes(count: int = 1) -> list[Node]:
    """Single node: 9092/9093. Cluster: brokers 19093.., controllers 19193.. (offsets from BASE_PORT)."""
    if count == 1:
        return [Node(1, BASE_PORT, BASE_PORT + 1, CACHE / "single")]
    base = BASE_PORT + 10_000
    return [Node(i, base + i, base + 100 + i, CACHE / f"cluster-{i}") for i in range(1, count + 1)]


def bootstrap_servers(count: int = 1) -> str:
    return ",".join(n.bootstrap for n in nodes(count))


def kafka_version() -> str:
    """The pinned version, read from the resolved broker jar (or the pom when unresolved)."""
    for jar in LIBS.glob("kafka_2.13-*.jar"):
        return jar.name.removeprefix("kafka_2.13-").removesuffix(".jar")
    text = POM.read_text()
    start = text.index("<kafka.version>") + len("<kafka.version>")
    return text[start : text.index("</kafka.version>")]


def _require(program: str, install_hint: str) -> str:
    path = shutil.which(program)
    if path is None:
        raise DevBrokerError(f"{program} was not found on PATH: install {install_hint} to run the dev broker.")
    return path


def ensure_jars() -> None:
    """Resolve the broker and tools jars from Maven Central into ``.cache/kafka/libs`` if missing."""
    _require("java", "a Java 17+ runtime (Debian: apt-get install openjdk-17-jre-headless)")
    if any(LIBS.glob("kafka_2.13-*.jar")) and any(LIBS.glob("kafka-tools-*.jar")):
        return
    mvn = _require("mvn", "Apache Maven (Debian: apt-get install maven)")
    log.info("resolving Kafka jars from Maven Central (first run only)")
    started = time.monotonic()
    result = subprocess.run(  # noqa: S603 - fixed arguments
        [mvn, "-B", "-q", "-f", str(POM), f"-Djars.dir={LIBS}", "package"],
        capture_output=True,
        text=True,
    )
    if result.returncode != 0:
        raise DevBrokerError(f"resolving Kafka jars with Maven failed:\n{(result.stdout + result.stderr)[-3000:]}")
    log.info("Kafka jars resolved in %.1f s", time.monotonic() - started)


def _java_command(main_class: str, log_config: Path, heap: str, logs_dir: Path | None = None) -> list[str]:
    command = [
        _require("java", "a Java 17+ runtime"),
        f"-Xms{heap}" if heap != "tool" else "-Xms64m",
        "-Xmx1g" if heap != "tool" else "-Xmx512m",
        "-XX:+UseG1GC",
        "-Djava.awt.headless=true",
        f"-Dlog4j2.configurationFile={log_config}",
    ]
    if logs_dir is not None:
        command.append(f"-Dkafka.logs.dir={logs_dir}")
    command += ["-cp", str(LIBS / "*"), main_class]
    return command


def _listener_lines(node: Node, security: BrokerSecurity | None) -> list[str]:
    controller = f"CONTROLLER://127.0.0.1:{node.controller_port}"
    if security is None:
        listeners = f"PLAINTEXT://127.0.0.1:{node.broker_port},{controller}"
        return [
            f"listeners={listeners}",
            f"advertised.listeners={listeners}",
            "controller.listener.names=CONTROLLER",
            "inter.broker.listener.name=PLAINTEXT",
            "listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT",
        ]
    listeners = f"SASL_PLAINTEXT://127.0.0.1:{node.broker_port},{controller}"
    protocol_map = "SASL_PLAINTEXT:SASL_PLAINTEXT,CONTROLLER:PLAINTEXT"
    if security.keystore is not None:
        listeners += f",SASL_SSL://127.0.0.1:{node.broker_port + 2}"
        protocol_map += ",SASL_SSL:SASL_SSL"
    lines = [
        f"listeners={listeners}",
        f"advertised.listeners={listeners}",
        "controller.listener.names=CONTROLLER",
        "inter.broker.listener.name=SASL_PLAINTEXT",
        f"listener.security.protocol.map={protocol_map}",
        "sasl.enabled.mechanisms=PLAIN",
        "sasl.mechanism.inter.broker.protocol=PLAIN",
        f"listener.name.sasl_plaintext.plain.sasl.jaas.config={security.jaas()}",
    ]
    if security.keystore is not None:
        lines += [
            f"listener.name.sasl_ssl.plain.sasl.jaas.config={security.jaas()}",
            "ssl.keystore.type=PKCS12",
            f"ssl.keystore.location={security.keystore}",
            f"ssl.keystore.password={security.keystore_password}",
            f"ssl.key.password={security.keystore_password}",
        ]
    return lines


def _write_properties(node: Node, all_nodes: list[Node], security: BrokerSecurity | None = None) -> None:
    quorum = ",".join(f"127.0.0.1:{n.controller_port}" for n in all_nodes)
    replication = min(3, len(all_nodes))
    lines = [
        "process.roles=broker,controller",
        f"node.id={node.node_id}",
        f"controller.quorum.bootstrap.servers={quorum}",
        *_listener_lines(node, security),
        f"log.dirs={node.data_dir}",
        "num.partitions=3",
        f"default.replication.factor={replication}",
        f"offsets.topic.replication.factor={replication}",
        f"transaction.state.log.replication.factor={replication}",
        f"transaction.state.log.min.isr={min(2, replication)}",
        f"share.coordinator.state.topic.replication.factor={replication}",
        f"share.coordinator.state.topic.min.isr={min(2, replication)}",
        "offsets.topic.num.partitions=6",
        "transaction.state.log.num.partitions=6",
        "group.initial.rebalance.delay.ms=0",
        "log.retention.hours=168",
        "log.segment.bytes=104857600",
        "log.cleaner.dedupe.buffer.size=33554432",
        "auto.create.topics.enable=false",
    ]
    node.properties.write_text("\n".join(lines) + "\n")


def _format(node: Node, all_nodes: list[Node], cluster_id: str) -> None:
    if (node.data_dir / "meta.properties").exists():
        return
    command = _java_command("kafka.tools.StorageTool", TOOLS_LOG_CONFIG, "tool")
    command += ["format", "-t", cluster_id, "-c", str(node.properties)]
    if len(all_nodes) == 1:
        command.append("--standalone")
    else:
        voters = ",".join(f"{n.node_id}@127.0.0.1:{n.controller_port}:{_directory_id(n)}" for n in all_nodes)
        command += ["--initial-controllers", voters]
    result = subprocess.run(command, capture_output=True, text=True)  # noqa: S603
    if result.returncode != 0:
        raise DevBrokerError(f"formatting {node.data_dir} failed:\n{result.stdout}{result.stderr}")


def _directory_id(node: Node) -> str:
    """A stable per-node directory id for the initial controller set (Kafka's base64 UUID form)."""
    import base64

    raw = uuid.uuid5(uuid.NAMESPACE_URL, f"newsstream-dev-{node.node_id}").bytes
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


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
    from kafka import KafkaAdminClient
    from kafka.errors import KafkaError

    from newsstream.reach import probe

    if all(probe(address, timeout_s) is not None for address in bootstrap.split(",")):
        return False  # no TCP answer (unresolvable, refused): skip kafka-python's 30 s bootstrap wait

    # A refused connection is the expected answer while a broker starts; keep it out of the log.
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
        admin.list_topics()
        return True
    except (KafkaError, OSError):
        return False
    finally:
        if admin is not None:
            admin.close()
        kafka_log.setLevel(level)


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
    command = _java_command("kafka.Kafka", BROKER_LOG_CONFIG, "512m", node.home / "logs")
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
    cluster_file = CACHE / ("cluster-id" if brokers == 1 else f"cluster-id-{brokers}")
    CACHE.mkdir(parents=True, exist_ok=True)
    if not cluster_file.exists():
        cluster_file.write_text(_random_cluster_id() + "\n")
    cluster_id = cluster_file.read_text().strip()
    for node in all_nodes:
        node.home.mkdir(parents=True, exist_ok=True)
        _write_properties(node, all_nodes, security)
        _format(node, all_nodes, cluster_id)
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


def _random_cluster_id() -> str:
    """A Kafka cluster id (URL-safe base64 of 16 random bytes), never starting with "-": the storage
    tool would read ``-t -abc…`` as a missing argument (1 id in 64), as Kafka's own Uuid avoids too."""
    import base64

    while True:
        cluster_id = base64.urlsafe_b64encode(uuid.uuid4().bytes).decode().rstrip("=")
        if not cluster_id.startswith("-"):
            return cluster_id


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


def tool_command(name: str, args: list[str]) -> list[str]:
    """The java command line running Kafka's tool ``name`` from the same jars."""
    if name not in TOOLS:
        raise DevBrokerError(f"unknown Kafka tool {name!r}; known: {', '.join(sorted(TOOLS))}")
    ensure_jars()
    return _java_command(TOOLS[name], TOOLS_LOG_CONFIG, "tool") + list(args)


def run_tool(name: str, args: list[str]) -> int:
    """Run one of Kafka's tools in the foreground; return its exit code."""
    return subprocess.call(tool_command(name, args))  # noqa: S603
