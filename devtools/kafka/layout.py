"""Where the dev broker lives: its files, ports and nodes, and the error it raises.

Every path and port is read once, at import, from the environment: ``NEWSSTREAM_KAFKA_HOME`` (data
and logs), ``NEWSSTREAM_KAFKA_LIBS`` (the resolved jars) and ``NEWSSTREAM_DEV_KAFKA_PORT`` (the
single node's broker port). Tests that run a second, isolated broker in-process patch ``CACHE`` and
``BASE_PORT`` here; the other modules read them through this module, never a copy.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from newsstream.errors import NewsstreamError

REPO_ROOT = Path(__file__).resolve().parents[2]
HERE = Path(__file__).resolve().parent
#: The Maven project that pins and resolves the jars, and the brokers' and tools' log4j2 settings (beside this file).
POM = HERE / "pom.xml"
BROKER_LOG_CONFIG = HERE / "log4j2-broker.properties"
TOOLS_LOG_CONFIG = HERE / "log4j2-tools.properties"
#: Data and logs of the local broker(s); override to run a second, isolated broker (tests do).
CACHE = Path(os.environ.get("NEWSSTREAM_KAFKA_HOME", REPO_ROOT / ".cache" / "kafka"))
LIBS = Path(os.environ.get("NEWSSTREAM_KAFKA_LIBS", REPO_ROOT / ".cache" / "kafka" / "libs"))
#: Broker port of the single node (its controller listens on the next port).
BASE_PORT = int(os.environ.get("NEWSSTREAM_DEV_KAFKA_PORT", "9092"))
READY_TIMEOUT_S = 60.0


class DevBrokerError(NewsstreamError):
    """The local development broker could not be prepared or started."""


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


def nodes(count: int = 1) -> list[Node]:
    """Single node: 9092/9093. Cluster: brokers 19093.., controllers 19193.. (offsets from BASE_PORT)."""
    if count == 1:
        return [Node(1, BASE_PORT, BASE_PORT + 1, CACHE / "single")]
    base = BASE_PORT + 10_000
    return [Node(i, base + i, base + 100 + i, CACHE / f"cluster-{i}") for i in range(1, count + 1)]


def bootstrap_servers(count: int = 1) -> str:
    return ",".join(n.bootstrap for n in nodes(count))
