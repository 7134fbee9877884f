"""The dev broker's Java side: Kafka's jars resolved by Maven, and the java command lines run from them."""

from __future__ import annotations

import logging
import shutil
import subprocess
import time
from pathlib import Path

from devtools.kafka import layout
from devtools.kafka.layout import POM, TOOLS_LOG_CONFIG, DevBrokerError

log = logging.getLogger("devtools.kafka")

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


def kafka_version() -> str:
    """The pinned version, read from the resolved broker jar (or the pom when unresolved)."""
    for jar in layout.LIBS.glob("kafka_2.13-*.jar"):
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
    libs = layout.LIBS
    if any(libs.glob("kafka_2.13-*.jar")) and any(libs.glob("kafka-tools-*.jar")):
        return
    mvn = _require("mvn", "Apache Maven (Debian: apt-get install maven)")
    log.info("resolving Kafka jars from Maven Central (first run only)")
    started = time.monotonic()
    result = subprocess.run(  # noqa: S603 - fixed arguments
        [mvn, "-B", "-q", "-f", str(POM), f"-Djars.dir={libs}", "package"],
        capture_output=True,
        text=True,
    )
    if result.returncode != 0:
        raise DevBrokerError(f"resolving Kafka jars with Maven failed:\n{(result.stdout + result.stderr)[-3000:]}")
    log.info("Kafka jars resolved in %.1f s", time.monotonic() - started)


def java_command(main_class: str, log_config: Path, heap: str, logs_dir: Path | None = None) -> list[str]:
    """``java`` running ``main_class`` from the jars (``heap`` "tool": a small one for a CLI tool)."""
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
    command += ["-cp", str(layout.LIBS / "*"), main_class]
    return command


def tool_command(name: str, args: list[str]) -> list[str]:
    """The java command line running Kafka's tool ``name`` from the same jars."""
    if name not in TOOLS:
        raise DevBrokerError(f"unknown Kafka tool {name!r}; known: {', '.join(sorted(TOOLS))}")
    ensure_jars()
    return java_command(TOOLS[name], TOOLS_LOG_CONFIG, "tool") + list(args)


def run_tool(name: str, args: list[str]) -> int:
    """Run one of Kafka's tools in the foreground; return its exit code."""
    return subprocess.call(tool_command(name, args))  # noqa: S603
