"""An isolated local Kafka (one node or a three-node KRaft cluster) the chaos tests may stop, pause and kill.

It is started through ``newsstream dev kafka up`` with its own ``NEWSSTREAM_KAFKA_HOME`` and
``NEWSSTREAM_DEV_KAFKA_PORT``, so it never touches the shared broker. devtools.kafka.layout reads
those variables when imported, hence the CLI in a subprocess rather than calls in this process.
Faults are plain signals to the node's JVM, found through the pid file ``up`` writes.
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from kafka import KafkaAdminClient

from newsstream.config import KafkaSettings
from newsstream.kafka_clients import make_admin


@dataclass
class IsolatedKafka:
    """``count`` nodes under ``home``; ``base_port`` is what NEWSSTREAM_DEV_KAFKA_PORT would be."""

    home: Path
    base_port: int
    count: int = 1

    # --- layout (mirrors devtools.kafka.layout.nodes) ----------------------------------------------
    @property
    def node_ids(self) -> list[int]:
        return list(range(1, self.count + 1))

    def port(self, node_id: int) -> int:
        return self.base_port if self.count == 1 else self.base_port + 10_000 + node_id

    def node_home(self, node_id: int) -> Path:
        return self.home / ("single" if self.count == 1 else f"cluster-{node_id}")

    def log_file(self, node_id: int) -> Path:
        return self.node_home(node_id) / "logs" / "server.log"

    @property
    def bootstrap(self) -> str:
        return ",".join(f"127.0.0.1:{self.port(n)}" for n in self.node_ids)

    @property
    def settings(self) -> KafkaSettings:
        return KafkaSettings(bootstrap_servers=self.bootstrap)

    def env(self) -> dict[str, str]:
        return {
            **os.environ,
            "NEWSSTREAM_KAFKA_HOME": str(self.home),
            "NEWSSTREAM_DEV_KAFKA_PORT": str(self.base_port),
            "NEWSSTREAM_LOG_FORMAT": "console",
        }

    # --- lifecycle ---------------------------------------------------------------------------------
    def _cli(self, *args: str, timeout_s: float = 180) -> str:
        result = subprocess.run(
            [sys.executable, "-m", "newsstream.cli", "dev", "kafka", *args, "--brokers", str(self.count)],
            env=self.env(),
            capture_output=True,
            text=True,
            timeout=timeout_s,
        )
        if result.returncode != 0:
            raise RuntimeError(f"newsstream dev kafka {' '.join(args)} failed:\n{result.stdout}{result.stderr}")
        return result.stdout

    def up(self) -> float:
        """Start every node that is not running and wait until all answer; return the seconds it took."""
        started = time.monotonic()
        self._cli("up", "--timeout", "120")
        return time.monotonic() - started

    def down(self) -> None:
        self._cli("down")

    def tool(self, name: str, *args: str, timeout_s: float = 60) -> str:
        """Run one of Kafka's own tools (``newsstream dev kafka tool``) and return its output."""
        result = subprocess.run(
            [sys.executable, "-m", "newsstream.cli", "dev", "kafka", "tool", name, *args],
            env=self.env(),
            capture_output=True,
            text=True,
            timeout=timeout_s,
        )
        return result.stdout + result.stderr

    # --- faults ------------------------------------------------------------------------------------
    def pid(self, node_id: int = 1) -> int | None:
        """The running JVM of ``node_id`` (checked against /proc to rule out a reused pid)."""
        try:
            pid = int((self.node_home(node_id) / "broker.pid").read_text().strip())
            cmdline = Path(f"/proc/{pid}/cmdline").read_bytes()
        except (OSError, ValueError):
            return None
        return pid if b"kafka.Kafka" in cmdline and str(self.node_home(node_id)).encode() in cmdline else None

    def send(self, node_id: int, sig: signal.Signals) -> int:
        pid = self.pid(node_id)
        if pid is None:
            raise RuntimeError(f"Kafka node {node_id} under {self.home} is not running")
        os.kill(pid, sig)
        return pid

    def stop(self, node_id: int = 1, sig: signal.Signals = signal.SIGTERM, timeout_s: float = 60) -> float:
        """Send ``sig`` and wait until the JVM is gone; return the seconds it took to exit."""
        started = time.monotonic()
        pid = self.send(node_id, sig)
        while Path(f"/proc/{pid}").exists() and _state(pid) not in ("Z", "X"):
            if time.monotonic() - started > timeout_s:
                os.kill(pid, signal.SIGKILL)
            time.sleep(0.05)
        return time.monotonic() - started

    def pause(self, node_id: int = 1) -> None:
        self.send(node_id, signal.SIGSTOP)

    def resume(self, node_id: int = 1) -> None:
        self.send(node_id, signal.SIGCONT)

    # --- who leads what ------------------------------------------------------------------------------
    def admin(self) -> KafkaAdminClient:
        return make_admin(self.settings, request_timeout_ms=10_000)

    def leaders(self, topics: list[str]) -> dict[tuple[str, int], int]:
        """(topic, partition) -> leader node id."""
        admin = self.admin()
        try:
            described = admin.describe_topics(topics)
        finally:
            admin.close()
        return {(t["name"], p["partition_index"]): p["leader_id"] for t in described for p in t["partitions"]}

    def in_sync(self, topics: list[str]) -> dict[tuple[str, int], list[int]]:
        """(topic, partition) -> the in-sync replicas."""
        admin = self.admin()
        try:
            described = admin.describe_topics(topics)
        finally:
            admin.close()
        return {(t["name"], p["partition_index"]): sorted(p["isr_nodes"]) for t in described for p in t["partitions"]}

    def topic_config(self, topic: str, key: str) -> str | None:
        """One configuration value of a topic as the cluster reports it."""
        from kafka.admin import ConfigResource, ConfigResourceType

        admin = self.admin()
        try:
            described = admin.describe_configs([ConfigResource(ConfigResourceType.TOPIC, topic)])
        finally:
            admin.close()
        entry = described.get("topic", {}).get(topic, {}).get(key)
        return None if entry is None else entry.get("value")

    def active_controller(self) -> int:
        """The KRaft quorum leader, from ``kafka-metadata-quorum describe --status``."""
        out = self.tool("kafka-metadata-quorum", "--bootstrap-server", self.bootstrap, "describe", "--status")
        match = re.search(r"^LeaderId:\s+(\d+)", out, re.MULTILINE)
        if match is None:
            raise RuntimeError(f"no LeaderId in kafka-metadata-quorum output:\n{out}")
        return int(match.group(1))

    def log_lines(self, node_id: int, since: float, pattern: str, limit: int = 8) -> list[str]:
        """Lines of a node's server.log written after epoch ``since`` that match ``pattern``."""
        stamp = time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(since))
        try:
            lines = self.log_file(node_id).read_text(errors="replace").splitlines()
        except FileNotFoundError:
            return []
        regex = re.compile(pattern)
        hits = [line for line in lines if line[1:20] >= stamp and regex.search(line)]
        return hits[:limit]


def _state(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return "X"
