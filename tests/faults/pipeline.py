"""The whole pipeline as separate processes on an isolated broker, for one chaos scenario.

:class:`Pipeline` owns a demo feed server (in this process; steps advance only when the scenario
says so), unique topics and groups, and the stage processes: ``produce`` on a feed list with 1 s
intervals (NEWSSTREAM_POLL_FLOOR_SECONDS=1), ``normalize`` and ``detect-corrections`` with a stable
``--instance-id`` each (so a restarted instance fences its predecessor). A watcher thread plays the
part of a process supervisor (compose's ``restart: unless-stopped``): a stage that exits on its own
is restarted, and the restart is recorded.
"""

from __future__ import annotations

import re
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.request
import uuid
from dataclasses import dataclass, field
from pathlib import Path

from devtools.demo import DemoServer, feeds_toml, serve
from newsstream.config import Config, KafkaSettings, Topics
from newsstream.topics import create_topics
from tests.integration.helpers import stage_env

PORT_RANGE = range(19200, 19290)  # demo servers and stage metrics ports; brokers use 19292+ / 19301+


def free_port(taken: set[int]) -> int:
    """A free loopback port of PORT_RANGE not handed out before in this session."""
    for port in PORT_RANGE:
        if port in taken:
            continue
        with socket.socket() as sock:
            try:
                sock.bind(("127.0.0.1", port))
            except OSError:
                continue
        taken.add(port)
        return port
    raise RuntimeError(f"no free port left in {PORT_RANGE}")


def slug(text: str) -> str:
    """``text`` with anything but letters, digits, '.', '_' and '-' turned into '-' (topic-name safe)."""
    return re.sub(r"[^A-Za-z0-9._-]+", "-", text).strip("-")


@dataclass
class StageProcess:
    """One ``newsstream`` stage process that can be killed and started again with the same identity."""

    name: str
    args: list[str]
    env: dict[str, str]
    port: int
    log_path: Path
    process: subprocess.Popen[bytes] | None = None
    expected_down: bool = False
    crash_restarts: int = 0
    exits: list[str] = field(default_factory=list)

    def start(self) -> None:
        with self.log_path.open("ab") as log:
            log.write(f"\n===== start {time.strftime('%H:%M:%S')} =====\n".encode())
            log.flush()
            self.process = subprocess.Popen(
                [sys.executable, "-m", "newsstream.cli", *self.args],
                env=self.env,
                stdout=log,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                start_new_session=True,
            )
        self.expected_down = False

    @property
    def pid(self) -> int:
        assert self.process is not None
        return self.process.pid

    def ready(self) -> bool:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{self.port}/readyz", timeout=1) as response:
                return response.status == 200
        except OSError:
            return False

    def wait_ready(self, timeout_s: float = 60) -> None:
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if self.ready():
                return
            time.sleep(0.1)
        raise AssertionError(f"{self.name} not ready within {timeout_s} s; log {self.log_path}:\n{self.tail()}")

    def kill(self) -> None:
        """SIGKILL and reap (the process gets no chance to flush, commit or leave its group)."""
        assert self.process is not None
        self.expected_down = True
        self.process.send_signal(signal.SIGKILL)
        self.process.wait()
        self.exits.append("SIGKILL")

    def terminate(self, timeout_s: float = 20) -> int | None:
        """SIGTERM and wait (the graceful path); returns the exit code, None if it had to be killed."""
        if self.process is None or self.process.poll() is not None:
            return None if self.process is None else self.process.returncode
        self.expected_down = True
        self.process.send_signal(signal.SIGTERM)
        try:
            code = self.process.wait(timeout_s)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
            self.exits.append("SIGTERM ignored, killed")
            return None
        self.exits.append(f"SIGTERM exit {code}")
        return code

    def metric(self, name: str, **labels: str) -> float | None:
        """Sum of the samples of ``name`` matching ``labels`` on the stage's /metrics; None if unreachable."""
        from prometheus_client.parser import text_string_to_metric_families

        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{self.port}/metrics", timeout=2) as response:
                text = response.read().decode()
        except OSError:
            return None
        return sum(
            sample.value
            for family in text_string_to_metric_families(text)
            for sample in family.samples
            if sample.name == name and all(sample.labels.get(k) == v for k, v in labels.items())
        )

    def tail(self, lines: int = 30) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except FileNotFoundError:
            return "(no log)"


class Pipeline:
    """Demo server + topics + producer, normalizer, detector processes for one scenario."""

    def __init__(
        self,
        scenario: str,
        kafka: KafkaSettings,
        workdir: Path,
        ports: set[int],
        replication_factor: int = 1,
        partitions: int = 3,
    ) -> None:
        self.scenario = scenario
        self.workdir = workdir
        self.ports = ports
        run_id = f"{slug(scenario)}-{uuid.uuid4().hex[:6]}"
        self.run_id = run_id
        base = Config()
        topics = Topics(**{k: f"chaos.{run_id}.{v}" for k, v in vars(base.topics).items()})
        self.config = base.with_overrides(
            kafka=kafka,
            topics=topics,
            state_dir=workdir / "state",
            allow_private_addresses=True,
            partitions=partitions,
            replication_factor=replication_factor,
        )
        self.demo: DemoServer | None = None
        self.stages: dict[str, StageProcess] = {}
        self._watch_stop = threading.Event()
        self._watcher = threading.Thread(target=self._watch, name=f"watch-{scenario}", daemon=True)
        self.events: list[str] = []
        #: Transactions each stage aborted (scraped before it stops; a killed process's count is lost).
        self.aborts: dict[str, int] = {}

    # --- set-up --------------------------------------------------------------------------------------
    @property
    def output_topics(self) -> dict[str, str]:
        t = self.config.topics
        return {"normalized": t.normalized, "corrections": t.corrections, "dlq": t.dlq}

    @property
    def base_url(self) -> str:
        assert self.demo is not None
        return f"http://127.0.0.1:{self.demo.port}"

    def start_demo(self) -> str:
        self.demo = serve("127.0.0.1", free_port(self.ports), step_seconds=0)
        return self.base_url

    def create_topics(self) -> None:
        create_topics(self.config)

    def _feeds_file(self) -> Path:
        assert self.demo is not None
        path = self.workdir / "feeds.toml"
        path.write_text(feeds_toml(self.demo.port).replace('interval = "30s"', 'interval = "1s"'), encoding="utf-8")
        return path

    def stage(self, name: str, instance: str = "a") -> StageProcess:
        """Define (not start) a stage process; ``instance`` names a second instance of the same group."""
        port = free_port(self.ports)
        env = stage_env(
            self.config,
            NEWSSTREAM_METRICS_PORT=str(port),
            NEWSSTREAM_METRICS_HOST="127.0.0.1",
            NEWSSTREAM_POLL_FLOOR_SECONDS="1",
            NEWSSTREAM_STATE_DIR=str(self.workdir / "state" / f"{name}-{instance}"),
            NEWSSTREAM_INSTANCE_ID=f"{self.run_id}-{instance}",
        )
        if name == "produce":
            args = ["produce", "--feeds", str(self._feeds_file())]
        else:
            group = f"chaos-{self.run_id}-{name}"
            args = [name, "--group", group, "--instance-id", f"{self.run_id}-{instance}"]
        key = name if instance == "a" else f"{name}#{instance}"
        process = StageProcess(key, args, env, port, self.workdir / "logs" / f"{key}.log")
        process.log_path.parent.mkdir(parents=True, exist_ok=True)
        self.stages[key] = process
        return process

    def start(self) -> None:
        """Start the three stages and wait until each is ready (producer: first round done)."""
        for name in ("normalize", "detect-corrections", "produce"):
            self.stage(name).start()
        for process in self.stages.values():
            process.wait_ready()
        self._watcher.start()

    # --- supervision ---------------------------------------------------------------------------------
    def _watch(self) -> None:
        while not self._watch_stop.wait(0.5):
            for process in list(self.stages.values()):
                if process.process is None or process.expected_down:
                    continue
                code = process.process.poll()
                if code is not None:
                    self.events.append(f"{process.name} exited with {code}; restarted")
                    process.exits.append(f"exit {code}")
                    process.crash_restarts += 1
                    process.start()

    def stop(self) -> list[str]:
        """Stop the watcher, then every stage with SIGTERM (producer first), then the demo server."""
        self._watch_stop.set()
        if self._watcher.is_alive():
            self._watcher.join(5)
        for process in self.stages.values():
            aborts = process.metric("newsstream_transactions_total", outcome="abort")
            if aborts:
                self.aborts[process.name] = self.aborts.get(process.name, 0) + int(aborts)
        order = sorted(self.stages.values(), key=lambda p: 0 if p.name == "produce" else 1)
        results = [f"{p.name}: {p.terminate()}" for p in order]
        if self.demo is not None:
            self.demo.shutdown()
        return results

    def crash_restarts(self) -> dict[str, int]:
        return {p.name: p.crash_restarts for p in self.stages.values() if p.crash_restarts}

    # --- steps ---------------------------------------------------------------------------------------
    def advance(self, step: int) -> None:
        assert self.demo is not None
        self.demo.advance(step)
