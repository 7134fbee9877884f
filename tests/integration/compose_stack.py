"""docker-compose.yml's services as processes on this machine, started as the file declares them.

There is no Docker engine here, so :class:`ComposeStack` reads the compose file and runs each
service of a profile with the command, environment, mounts and healthcheck written there, and
changes only what a machine without containers forces it to change (:class:`Translation`):

* host names (compose service names and aliases, ``localhost``) become 127.0.0.1 and
  ``kafka:29092`` becomes an isolated dev broker of this stack's own (so the default topic names
  the compose file relies on are safe to use);
* ports move into 19800-19899 (:data:`PORTS`), because the compose ports are used by other tests
  on this machine, e.g. ``newsstream run`` on 9101-9103 and 8642, the pages tests on 9104;
* container paths move under a per-service root: bind mounts become copies of the host file
  (host names and ports translated inside them too), named volumes become empty directories.

The image's part comes from the Dockerfile: its ``ENV`` lines, its ``ENTRYPOINT`` (``newsstream``,
found through a PATH that starts with this virtualenv's bin, where ``python`` is ours too) and
its ``HEALTHCHECK`` for services that declare none. ``prom/prometheus`` runs as Debian's
``prometheus`` binary; its mounted config additionally scrapes and evaluates every second so a
test sees data within seconds. ``kafka`` (the dev broker stands in) and ``grafana`` (no binary
here) are not started.

One stack serves every test module that asks for it (:func:`shared_stack`); it stops at the end
of the session.
"""

from __future__ import annotations

import json
import os
import re
import shlex
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

REPO = Path(__file__).resolve().parents[2]
COMPOSE = REPO / "docker-compose.yml"
DOCKERFILE = REPO / "Dockerfile"
APP_IMAGE = "newsstream:"
PROMETHEUS_IMAGE = "prom/prometheus:"
#: Compose port -> the port its service gets here (19800-19899: this test's range).
PORTS = {9101: 19801, 9102: 19802, 9103: 19803, 9104: 19804, 9105: 19805, 9106: 19806, 8642: 19842, 8080: 19880,
         5432: 19832, 9090: 19890}  # fmt: skip
POSTGRES_IMAGE = "postgres:"
#: Debian's PostgreSQL standing in for the official image (same variables, same port, translated).
PG_STANDIN = Path(__file__).with_name("pg_standin.py")
#: The isolated broker standing in for the ``kafka`` service (its controller takes the next port).
BROKER_PORT = 19892
BROKER_SERVICE = "kafka:29092"
#: Services the stack does not run: the broker is replaced, Grafana has no binary on this machine.
NOT_STARTED = ("kafka", "grafana")
#: Directories the image creates (the Dockerfile's useradd --create-home): exist in every container.
IMAGE_DIRS = ("/var/lib/newsstream",)
PROMETHEUS_INTERVAL = "1s"


def need(tool: str) -> str:
    """The tool's path; skip when absent, except in CI where its absence is a failure."""
    path = shutil.which(tool)
    if path:
        return path
    if os.environ.get("CI"):
        pytest.fail(f"{tool} is not installed; .ci/run must install it (Debian package prometheus)")
    pytest.skip(f"{tool} not installed (Debian: apt-get install prometheus)")


def load_compose() -> dict[str, Any]:
    import yaml

    document = yaml.safe_load(COMPOSE.read_text(encoding="utf-8"))
    assert isinstance(document, dict) and isinstance(document.get("services"), dict)
    return document


def profile_services(compose: Mapping[str, Any], profile: str) -> dict[str, dict[str, Any]]:
    """The services `docker compose --profile <profile> up` starts: no profiles, or this one."""
    return {n: s for n, s in compose["services"].items() if not s.get("profiles") or profile in s["profiles"]}


def _dockerfile_instructions() -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) pairs, continuation lines joined, comments dropped."""
    text = re.sub(r"\\\n\s*", " ", DOCKERFILE.read_text(encoding="utf-8"))
    lines = [line.strip() for line in text.splitlines() if line.strip() and not line.lstrip().startswith("#")]
    return [(line.split(None, 1)[0].upper(), line.split(None, 1)[1]) for line in lines if " " in line]


def dockerfile_env() -> dict[str, str]:
    env: dict[str, str] = {}
    for instruction, args in _dockerfile_instructions():
        if instruction == "ENV":
            env.update(dict(pair.split("=", 1) for pair in shlex.split(args)))
    return env


def dockerfile_exec(instruction_name: str) -> list[str]:
    """The exec-form array of ENTRYPOINT, or of HEALTHCHECK's CMD."""
    for instruction, args in _dockerfile_instructions():
        if instruction == instruction_name:
            return list(json.loads(args[args.index("[") :]))
    raise AssertionError(f"Dockerfile has no {instruction_name}")


@dataclass(frozen=True)
class Translation:
    """What running without containers changes: host names, ports, container paths."""

    bootstrap: str
    hosts: tuple[str, ...]
    ports: Mapping[int, int] = field(default_factory=lambda: dict(PORTS))

    def text(self, value: str) -> str:
        """Host names and ports inside a string (URLs, addresses, Python one-liners, files)."""
        value = value.replace(BROKER_SERVICE, self.bootstrap)
        names = "|".join(re.escape(h) for h in sorted(self.hosts, key=len, reverse=True))
        value = re.sub(rf"(?<![\w.-])(?:{names})(?=:\d)", "127.0.0.1", value)
        if value.isdigit():
            return str(self.ports.get(int(value), value))
        return re.sub(r"(?<=:)(\d+)\b", lambda m: str(self.ports.get(int(m[1]), m[1])), value)

    def path(self, root: Path, value: str) -> str:
        """A container path (or ``--flag=/path``) as the same path under the service's root."""
        flag, eq, rest = value.partition("=")
        if eq and flag.startswith("--") and rest.startswith("/"):
            return f"{flag}={root}{rest}"
        return f"{root}{value}" if value.startswith("/") else value

    def value(self, root: Path, value: str) -> str:
        return self.path(root, self.text(value))


@dataclass
class Service:
    """One compose service as a local process: what the file says, and what runs."""

    name: str
    spec: dict[str, Any]
    root: Path
    argv: list[str]
    env: dict[str, str]
    healthcheck: list[str] | None
    process: subprocess.Popen[bytes] | None = None

    @property
    def log_path(self) -> Path:
        return self.root / "process.log"

    def log_tail(self, lines: int = 30) -> str:
        try:
            return "\n".join(self.log_path.read_text(encoding="utf-8", errors="replace").splitlines()[-lines:])
        except OSError:
            return "(no log)"


def plan(name: str, spec: dict[str, Any], translation: Translation, root: Path) -> Service:
    """The argv, environment and healthcheck of one service, translated; mounts materialised."""
    image = str(spec.get("image", ""))
    command = [str(a) for a in spec.get("command", [])]
    declared_env = {k: str(v) for k, v in (spec.get("environment") or {}).items()}
    base_path = f"{Path(sys.executable).parent}{os.pathsep}/usr/local/bin{os.pathsep}/usr/bin{os.pathsep}/bin"
    env = {"PATH": base_path, "HOME": str(root), "LANG": "C.UTF-8"}
    if image.startswith(APP_IMAGE):
        entrypoint = dockerfile_exec("ENTRYPOINT")
        env.update(dockerfile_env())
        default_check = ["CMD", *dockerfile_exec("HEALTHCHECK")]
        for directory in IMAGE_DIRS:
            (root / directory.lstrip("/")).mkdir(parents=True, exist_ok=True)
    elif image.startswith(PROMETHEUS_IMAGE):
        # The image's entrypoint; it listens on :9090 unless told otherwise, so say where.
        entrypoint = ["prometheus"]
        command = [*command, f"--web.listen-address=127.0.0.1:{translation.ports[9090]}"]
        default_check = None
    elif image.startswith(POSTGRES_IMAGE):
        entrypoint = [sys.executable, str(PG_STANDIN), "--port", str(translation.ports[5432])]
        default_check = None
    else:
        raise AssertionError(f"{name}: no local stand-in for image {image}")
    env.update(declared_env)
    env = {k: translation.value(root, v) for k, v in env.items()}
    env["PATH"], env["HOME"] = base_path, str(root)
    _materialise_volumes(spec, translation, root, image.startswith(PROMETHEUS_IMAGE))
    check = spec.get("healthcheck")
    test = default_check if check is None else (None if check.get("disable") else check["test"])
    healthcheck = None
    if test is not None:
        assert test[0] == "CMD", f"{name}: only exec-form healthchecks are run here, got {test[0]}"
        healthcheck = [translation.text(a) for a in test[1:]]
    argv = [*entrypoint, *(translation.value(root, a) for a in command)]
    return Service(name, spec, root, argv, env, healthcheck)


def _materialise_volumes(spec: dict[str, Any], translation: Translation, root: Path, prometheus: bool) -> None:
    for volume in spec.get("volumes", []):
        source, target = str(volume).split(":")[:2]
        destination = root / target.lstrip("/")
        if not source.startswith((".", "/")):  # a named volume: empty at first start
            destination.mkdir(parents=True, exist_ok=True)
            continue
        host = (COMPOSE.parent / source).resolve()
        destination.parent.mkdir(parents=True, exist_ok=True)
        text = translation.text(host.read_text(encoding="utf-8"))
        if prometheus and target.endswith("/prometheus.yml"):
            text = _fast_prometheus_config(text)
        destination.write_text(text, encoding="utf-8")


def _fast_prometheus_config(text: str) -> str:
    import yaml

    config = yaml.safe_load(text)
    config.setdefault("global", {}).update(scrape_interval=PROMETHEUS_INTERVAL, evaluation_interval=PROMETHEUS_INTERVAL)
    return yaml.safe_dump(config, sort_keys=False)


def dependency_order(services: Mapping[str, dict[str, Any]]) -> list[str]:
    """Service names, each after everything in its depends_on (file order otherwise)."""
    ordered: list[str] = []

    def visit(name: str, path: tuple[str, ...]) -> None:
        assert name not in path, f"depends_on cycle: {' -> '.join((*path, name))}"
        if name in ordered:
            return
        for dependency in services[name].get("depends_on", {}):
            visit(dependency, (*path, name))
        ordered.append(name)

    for name in services:
        visit(name, ())
    return ordered


def run_healthcheck(service: Service) -> subprocess.CompletedProcess[str]:
    """The service's healthcheck command once, in its environment (as `docker exec` would)."""
    assert service.healthcheck is not None
    return subprocess.run(
        service.healthcheck, env=service.env, cwd=service.root, capture_output=True, text=True, timeout=10, check=False
    )


def wait_healthy(service: Service, timeout_s: float = 60) -> None:
    deadline = time.monotonic() + timeout_s
    last = None
    while time.monotonic() < deadline:
        if service.process is not None and service.process.poll() is not None:
            raise AssertionError(f"{service.name} exited ({service.process.returncode}):\n{service.log_tail()}")
        last = run_healthcheck(service)
        if last.returncode == 0:
            return
        time.sleep(0.5)
    detail = (last.stdout + last.stderr)[-800:] if last else ""
    raise AssertionError(f"{service.name} not healthy in {timeout_s:.0f} s: {detail}\n{service.log_tail()}")


class ComposeStack:
    """The ``profile``'s services of docker-compose.yml, started in dependency order."""

    def __init__(self, workdir: Path, profile: str = "demo") -> None:
        self.workdir = workdir
        self.profile = profile
        self.compose = load_compose()
        self.bootstrap = f"127.0.0.1:{BROKER_PORT}"
        hosts = {"localhost"}
        for name, spec in self.compose["services"].items():
            hosts.add(name)
            if spec.get("hostname"):
                hosts.add(spec["hostname"])
            for network in (spec.get("networks") or {}).values():
                hosts.update((network or {}).get("aliases", []))
        self.translation = Translation(self.bootstrap, tuple(sorted(hosts)))
        self.services: dict[str, Service] = {}
        self.exit_codes: dict[str, int] = {}
        self.started_at = 0.0
        self.seed_event: dict[str, Any] | None = None
        self.seed_seconds: float | None = None

    # --- the broker standing in for the kafka service ---------------------------------------

    def _broker(self, *args: str) -> subprocess.CompletedProcess[str]:
        env = {**os.environ, "NEWSSTREAM_KAFKA_HOME": str(self.workdir / "kafka"),
               "NEWSSTREAM_DEV_KAFKA_PORT": str(BROKER_PORT)}  # fmt: skip
        return subprocess.run([sys.executable, "-m", "newsstream.cli", "dev", "kafka", *args], env=env,
                              capture_output=True, text=True, timeout=150, check=False)  # fmt: skip

    # --- lifecycle -----------------------------------------------------------------------------

    def start(self) -> None:
        self.started_at = time.monotonic()
        busy = [p for p in [*PORTS.values(), BROKER_PORT, BROKER_PORT + 1] if _port_busy(p)]
        assert not busy, f"ports {busy} are in use; this stack needs them (19800-19899)"
        up = self._broker("up")
        assert up.returncode == 0, f"isolated broker did not start:\n{up.stdout}\n{up.stderr}"
        wanted = profile_services(self.compose, self.profile)
        for name in dependency_order(wanted):
            if name in NOT_STARTED:
                continue
            spec = wanted[name]
            if str(spec.get("image", "")).startswith(PROMETHEUS_IMAGE) and not shutil.which("prometheus"):
                continue  # tests that need it skip (or fail in CI) on their own
            for dependency, condition in (spec.get("depends_on") or {}).items():
                self._wait_for(dependency, condition.get("condition", "service_started"))
            root = self.workdir / "services" / name
            root.mkdir(parents=True, exist_ok=True)
            service = plan(name, spec, self.translation, root)
            log = service.log_path.open("ab")
            service.process = subprocess.Popen(service.argv, env=service.env, cwd=root, stdout=log, stderr=log)  # noqa: S603
            log.close()
            self.services[name] = service

    def _wait_for(self, name: str, condition: str) -> None:
        if name in NOT_STARTED:
            return  # the broker answered before anything started
        service = self.services[name]
        assert service.process is not None
        if condition == "service_completed_successfully":
            try:
                code = service.process.wait(timeout=90)
            except subprocess.TimeoutExpired:
                raise AssertionError(f"{name} did not finish in 90 s:\n{service.log_tail()}") from None
            self.exit_codes[name] = code
            assert code == 0, f"{name} exited {code}:\n{service.log_tail()}"
        elif condition == "service_healthy":
            wait_healthy(service)

    def stop(self) -> None:
        """SIGTERM every process (dependants first), SIGKILL after 20 s; then the broker."""
        for service in reversed(list(self.services.values())):
            if service.process is not None and service.process.poll() is None:
                service.process.send_signal(signal.SIGTERM)
        for service in reversed(list(self.services.values())):
            if service.process is None:
                continue
            try:
                self.exit_codes[service.name] = service.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                service.process.kill()
                self.exit_codes[service.name] = service.process.wait()
        self._broker("down")

    # --- what the tests wait for ---------------------------------------------------------------

    def running(self, name: str) -> Service:
        service = self.services[name]
        assert service.process is not None and service.process.poll() is None, (
            f"{name} is not running (exit {service.process and service.process.returncode}):\n{service.log_tail()}"
        )
        return service

    def wait_for_seed_correction(self, timeout_s: float = 90) -> dict[str, Any]:
        """The demo's seed correction event, read_committed from the corrections topic (once)."""
        if self.seed_event is None:
            self.seed_event = _find_seed_correction(self, timeout_s)
            self.seed_seconds = time.monotonic() - self.started_at
        return self.seed_event


def _find_seed_correction(stack: ComposeStack, timeout_s: float) -> dict[str, Any]:
    from devtools.demo.content import DRONE_TITLE, MILITIA_TITLE
    from newsstream import codec
    from newsstream.config import Config, KafkaSettings
    from newsstream.kafka_clients import make_consumer

    topic = Config().topics.corrections  # the compose file sets no topic variables: the defaults
    consumer = make_consumer(KafkaSettings(bootstrap_servers=stack.bootstrap), None, topic)
    deadline = time.monotonic() + timeout_s
    seen: list[str] = []
    try:
        while time.monotonic() < deadline:
            for name in stack.services:
                if name != "topic-init":
                    stack.running(name)
            for records in consumer.poll(timeout_ms=500).values():
                for record in records:
                    event = codec.loads(record.value)
                    seen.append(f"{event.get('type')}: {event.get('title')}")
                    ref = event.get("referenced_article") or {}
                    if event.get("title") == MILITIA_TITLE and ref.get("title") == DRONE_TITLE:
                        return dict(event)
    finally:
        consumer.close()
    logs = "\n".join(f"--- {n} ---\n{s.log_tail(15)}" for n, s in stack.services.items())
    raise AssertionError(f"no seed correction on {topic} within {timeout_s:.0f} s; saw {seen}\n{logs}")


def _port_busy(port: int) -> bool:
    import socket

    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.settimeout(0.3)
        return sock.connect_ex(("127.0.0.1", port)) == 0


_SHARED: dict[str, Any] = {}


def shared_stack(request: pytest.FixtureRequest) -> ComposeStack:
    """The demo-profile stack, started on first use and stopped when the test session ends.

    A failed start is remembered, so the next module fails at once instead of starting again.
    """
    if "error" in _SHARED:
        pytest.fail(f"the compose stack failed to start earlier: {_SHARED['error']}")
    if "stack" not in _SHARED:
        workdir = request.getfixturevalue("tmp_path_factory").mktemp("compose-stack")
        stack = ComposeStack(workdir)
        request.config.add_cleanup(stack.stop)
        try:
            stack.start()
        except BaseException as exc:
            _SHARED["error"] = str(exc)[:2000]
            raise
        _SHARED["stack"] = stack
    shared: ComposeStack = _SHARED["stack"]
    return shared
