"""One HTTP server per process: ``/metrics`` (Prometheus), ``/healthz`` (alive), ``/readyz`` (ready).

It listens on NEWSSTREAM_METRICS_HOST (``0.0.0.0`` by default, so a container's port can be
published; ``127.0.0.1`` or ``::1`` keep it on this machine). IPv6 addresses work as well as IPv4.
"""

from __future__ import annotations

import socket
import threading
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest

from newsstream.errors import ConfigError


def _server_class(host: str, port: int) -> type[ThreadingHTTPServer]:
    """ThreadingHTTPServer for the address family of ``host`` (the stdlib assumes IPv4)."""
    try:
        family = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)[0][0]
    except socket.gaierror as exc:
        raise ConfigError(f"NEWSSTREAM_METRICS_HOST={host!r} is not an address to listen on: {exc}") from None
    return type("HealthHTTPServer", (ThreadingHTTPServer,), {"address_family": family})


class HealthServer:
    """Serves metrics from ``registry`` and liveness/readiness from the given callables."""

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
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802 - http.server's naming
                path = self.path.split("?", 1)[0]
                if path == "/metrics":
                    self._reply(200, generate_latest(server.registry), CONTENT_TYPE_LATEST)
                elif path == "/healthz":
                    ok = server.alive()
                    self._reply(200 if ok else 503, b"ok\n" if ok else b"unhealthy\n")
                elif path == "/readyz":
                    ok = server.ready()
                    self._reply(200 if ok else 503, b"ready\n" if ok else b"not ready\n")
                else:
                    self._reply(404, b"not found: try /metrics, /healthz or /readyz\n")

            def _reply(self, status: int, body: bytes, ctype: str = "text/plain; charset=utf-8") -> None:
                self.send_response(status)
                self.send_header("Content-Type", ctype)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, format: str, *args: object) -> None:  # noqa: A002
                pass  # scrapes every few seconds would drown the logs

        try:
            self._httpd = _server_class(host, port)((host, port), Handler)
        except OSError as exc:
            raise ConfigError(
                f"cannot serve /metrics on {host}:{port} ({exc}); "
                "set NEWSSTREAM_METRICS_HOST / NEWSSTREAM_METRICS_PORT to a free local address"
            ) from None
        self._httpd.daemon_threads = True
        self._thread = threading.Thread(target=self._httpd.serve_forever, name="health", daemon=True)

    @property
    def port(self) -> int:
        return int(self._httpd.server_address[1])

    @property
    def host(self) -> str:
        """The address the server is bound to (as the socket reports it)."""
        return str(self._httpd.server_address[0])

    def start(self) -> HealthServer:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()
