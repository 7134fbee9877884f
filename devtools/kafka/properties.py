"""What a dev broker node is started with: its server.properties (listeners, SASL), and its formatted storage."""

from __future__ import annotations

import base64
import re
import subprocess
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from devtools.kafka.jars import java_command
from devtools.kafka.layout import TOOLS_LOG_CONFIG, DevBrokerError, Node

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


def write_properties(node: Node, all_nodes: list[Node], security: BrokerSecurity | None = None) -> None:
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


def format_storage(node: Node, all_nodes: list[Node], cluster_id: str) -> None:
    """Format the node's KRaft storage once (a formatted data dir is left as it is)."""
    if (node.data_dir / "meta.properties").exists():
        return
    command = java_command("kafka.tools.StorageTool", TOOLS_LOG_CONFIG, "tool")
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
    raw = uuid.uuid5(uuid.NAMESPACE_URL, f"newsstream-dev-{node.node_id}").bytes
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def random_cluster_id() -> str:
    """A Kafka cluster id (URL-safe base64 of 16 random bytes), never starting with "-": the storage
    tool would read ``-t -abc…`` as a missing argument (1 id in 64), as Kafka's own Uuid avoids too."""
    while True:
        cluster_id = base64.urlsafe_b64encode(uuid.uuid4().bytes).decode().rstrip("=")
        if not cluster_id.startswith("-"):
            return cluster_id
