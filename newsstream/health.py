"""One HTTP server per process: ``/metrics`` (Prometheus), ``/healthz`` (alive), ``/readyz`` (ready).

It listens on NEWSSTREAM_METRICS_HOST (``0.0.0.0`` by default, so a container's port can be
published; ``127.0.0.1`` or ``::1`` keep it on this machine). IPv6 addresses work as well as IPv4.
Idle, slow and numerous clients cannot exhaust it: see :mod:`newsstream.http_server`.
"""

from __future__ import annotations

import socket
from collections.abc import Callable

from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest

from newsstream.errors import ConfigError
from newsstream.http_server import Answer, BoundedHTTPServer

TEXT = "text/plain; charset=utf-8"


class HealthServer:
    """Serves metrics from ``registry`` and liveness/readiness from the given callables, on a
    :class:`~newsstream.http_server.BoundedHTTPServer` (bounded threads, connections and time)."""

    def __init__(
        self,
        registry: CollectorRegistry,
        host: str = "0.0.0.0",  # noqa: S104
        port: int = 0,
        ready: Callable[[], bool] = lambda: True,
        alive: Callable[[], bool] = lambda: True,
    ) -> None:
        self.registry = registry
        self.ready = ready
        self.alive = alive
        try:
            self._httpd = BoundedHTTPServer(host, port, self._route)
        except socket.gaierror as exc:
            raise ConfigError(f"NEWSSTREAM_METRICS_HOST={host!r} is not an address to listen on: {exc}") from None
        except OSError as exc:
            raise ConfigError(
                f"cannot serve /metrics on {host}:{port} ({exc}); "
                "set NEWSSTREAM_METRICS_HOST / NEWSSTREAM_METRICS_PORT to a free local address"
            ) from None

    def _route(self, path: str) -> Answer:
        if path == "/metrics":
            return 200, generate_latest(self.registry), CONTENT_TYPE_LATEST
        if path == "/healthz":
            ok = self.alive()
            return (200, b"ok\n", TEXT) if ok else (503, b"unhealthy\n", TEXT)
        if path == "/readyz":
            ok = self.ready()
            return (200, b"ready\n", TEXT) if ok else (503, b"not ready\n", TEXT)
        return 404, b"not found: try /metrics, /healthz or /readyz\n", TEXT

    @property
    def port(self) -> int:
        return int(self._httpd.server_address[1])

    @property
    def host(self) -> str:
        """The address the server is bound to (as the socket reports it)."""
        return str(self._httpd.server_address[0])

    def start(self) -> HealthServer:
        self._httpd.start()
        return self

    def stop(self) -> None:
        self._httpd.stop()
