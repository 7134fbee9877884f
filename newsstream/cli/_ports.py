"""Metrics ports of the stages ``newsstream run`` starts: defaults, variables, flags, clash checks.

Precedence, lowest first: each stage's default port; ``NEWSSTREAM_METRICS_PORT`` as a base (the
stages take it and the next ports, in pipeline order); ``NEWSSTREAM_METRICS_PORT_<STAGE>``; the
``--metrics-port STAGE=PORT`` flag. A port already taken stops the run before anything starts,
naming the stage and a free port to use instead.
"""

from __future__ import annotations

import socket
from collections.abc import Mapping, Sequence

from newsstream.cli.specs import BY_NAME
from newsstream.errors import ConfigError

#: The stages ``run`` starts, in pipeline order (the base-port order).
RUN_STAGES = ("produce", "normalize", "detect-corrections", "pages", "archive")
ALIASES = {"producer": "produce", "detect": "detect-corrections", "detector": "detect-corrections"}


def env_name(stage: str) -> str:
    """``NEWSSTREAM_METRICS_PORT_DETECT_CORRECTIONS`` for ``detect-corrections``."""
    return "NEWSSTREAM_METRICS_PORT_" + stage.upper().replace("-", "_")


def _port(text: str, where: str) -> int:
    try:
        port = int(text)
    except ValueError:
        raise ConfigError(f"{where}: {text!r} is not a port number") from None
    if not 1 <= port <= 65535:
        raise ConfigError(f"{where}: {port} is not a port between 1 and 65535")
    return port


def stage_ports(flags: Sequence[str], environ: Mapping[str, str]) -> dict[str, int]:
    """The metrics port of each stage in ``RUN_STAGES`` (ConfigError names a bad flag or variable)."""
    ports = {stage: BY_NAME[stage].default_port for stage in RUN_STAGES}
    if environ.get("NEWSSTREAM_METRICS_PORT"):
        base = _port(environ["NEWSSTREAM_METRICS_PORT"], "NEWSSTREAM_METRICS_PORT")
        ports = {stage: base + i for i, stage in enumerate(RUN_STAGES)}
    for stage in RUN_STAGES:
        if environ.get(env_name(stage)):
            ports[stage] = _port(environ[env_name(stage)], env_name(stage))
    for flag in flags:
        name, sep, value = flag.partition("=")
        stage = ALIASES.get(name.strip(), name.strip())
        if not sep or stage not in ports:
            raise ConfigError(f"--metrics-port {flag!r}: expected STAGE=PORT, STAGE one of {', '.join(RUN_STAGES)}")
        ports[stage] = _port(value, f"--metrics-port {flag}")
    by_port: dict[int, str] = {}
    for stage, port in ports.items():
        if port in by_port:
            raise ConfigError(f"stages {by_port[port]} and {stage} would both use metrics port {port}")
        by_port[port] = stage
    return ports


def free_port(host: str) -> int:
    """A port the OS says is free on ``host`` right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        return int(sock.getsockname()[1])


def check_free(host: str, ports: Mapping[str, int]) -> None:
    """ConfigError naming the first stage whose port is taken, and the flag or variable that fixes it."""
    for stage, port in ports.items():
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
            # The stages' HTTP servers set SO_REUSEADDR too: a port in TIME_WAIT is not taken.
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            try:
                sock.bind((host, port))
            except OSError as exc:
                spare = free_port(host)
                raise ConfigError(
                    f"metrics port {port} of stage {stage} is taken on {host} ({exc.strerror}); "
                    f"give it a free one: newsstream run --metrics-port {stage}={spare} "
                    f"(or {env_name(stage)}={spare})"
                ) from None
