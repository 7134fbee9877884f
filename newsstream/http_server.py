"""A small HTTP/1.0 GET server that idle or slow clients cannot exhaust.

``http.server.ThreadingHTTPServer`` starts one thread per connection and waits on it without a
timeout: 1,500 half-open connections pinned 1,504 threads of a stage (issue 14). Here one thread
owns every socket and reads request heads without blocking; only a complete request head reaches
a worker, from a fixed pool, which computes the answer and writes it under a send timeout. So:

* threads: 1 selector thread + ``workers``, whatever the clients do;
* connections: at most ``max_connections`` are kept waiting; past that the longest-waiting one is
  closed, so a new client (the Prometheus scrape) always gets in;
* time: a request head must arrive within ``header_timeout_s`` (slowloris) and be at most
  ``max_header_bytes`` long; the answer must be taken within ``send_timeout_s``;
* the listen backlog is ``backlog``.

Every answer closes its connection (HTTP/1.0), which is what a scraper and a health probe expect.
"""

from __future__ import annotations

import logging
import selectors
import socket
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from http import HTTPStatus

log = logging.getLogger(__name__)

#: (status, body, content type) for a GET of a path.
Answer = tuple[int, bytes, str]
Route = Callable[[str], Answer]


class BoundedHTTPServer:
    """Serves ``route(path)`` for GET requests on ``(host, port)`` within the bounds above."""

    def __init__(
        self,
        host: str,
        port: int,
        route: Route,
        *,
        workers: int = 4,
        max_connections: int = 256,
        backlog: int = 128,
        header_timeout_s: float = 5.0,
        send_timeout_s: float = 5.0,
        max_header_bytes: int = 8192,
    ) -> None:
        self.route = route
        self.max_connections = max_connections
        self.header_timeout_s = header_timeout_s
        self.send_timeout_s = send_timeout_s
        self.max_header_bytes = max_header_bytes
        self.evicted = 0
        family = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)[0][0]
        self._listener = socket.socket(family, socket.SOCK_STREAM)
        try:
            self._listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            self._listener.bind((host, port))
            self._listener.listen(backlog)
        except OSError:
            self._listener.close()
            raise
        self._listener.setblocking(False)
        self.server_address = self._listener.getsockname()
        self._selector = selectors.DefaultSelector()
        self._selector.register(self._listener, selectors.EVENT_READ)
        #: Connections waiting for their request head: socket -> (accepted at, bytes so far).
        self._pending: OrderedDict[socket.socket, tuple[float, bytes]] = OrderedDict()
        self._pool = ThreadPoolExecutor(workers, thread_name_prefix="http")
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="http-accept", daemon=True)

    def start(self) -> BoundedHTTPServer:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(5)
        self._pool.shutdown(wait=False, cancel_futures=True)
        for conn in list(self._pending):
            self._drop(conn)
        self._selector.close()
        self._listener.close()

    # --- the selector thread ---------------------------------------------------------------------
    def _loop(self) -> None:
        while not self._stop.is_set():
            for key, _ in self._selector.select(timeout=0.2):
                if key.fileobj is self._listener:
                    self._accept()
                else:
                    self._read(key.fileobj)  # type: ignore[arg-type]
            self._expire(time.monotonic())

    def _accept(self) -> None:
        for _ in range(64):  # drain a burst of connections, not only one per wake-up
            try:
                conn, _ = self._listener.accept()
            except (BlockingIOError, InterruptedError):
                return
            except OSError as exc:  # e.g. EMFILE: keep serving those already accepted
                log.warning("http accept failed: %s", exc)
                return
            while len(self._pending) >= self.max_connections:
                oldest = next(iter(self._pending))
                self.evicted += 1
                self._drop(oldest)
            conn.setblocking(False)
            self._pending[conn] = (time.monotonic(), b"")
            self._selector.register(conn, selectors.EVENT_READ)

    def _read(self, conn: socket.socket) -> None:
        accepted, head = self._pending[conn]
        try:
            chunk = conn.recv(4096)
        except (BlockingIOError, InterruptedError):
            return
        except OSError:
            self._drop(conn)
            return
        if not chunk:
            self._drop(conn)
            return
        head += chunk
        if b"\r\n\r\n" not in head and b"\n\n" not in head:
            if len(head) > self.max_header_bytes:
                self._hand_off(conn, None)
            else:
                self._pending[conn] = (accepted, head)
            return
        self._hand_off(conn, head)

    def _hand_off(self, conn: socket.socket, head: bytes | None) -> None:
        self._selector.unregister(conn)
        del self._pending[conn]
        self._pool.submit(self._answer, conn, head)

    def _expire(self, now: float) -> None:
        while self._pending:
            conn, (accepted, _) = next(iter(self._pending.items()))
            if now - accepted < self.header_timeout_s:
                return
            self._drop(conn)

    def _drop(self, conn: socket.socket) -> None:
        if conn in self._pending:
            del self._pending[conn]
            try:
                self._selector.unregister(conn)
            except (KeyError, ValueError):
                pass
        conn.close()

    # --- a worker --------------------------------------------------------------------------------
    def _answer(self, conn: socket.socket, head: bytes | None) -> None:
        try:
            status, body, ctype = self._respond(head)
            reason = HTTPStatus(status).phrase
            response = (
                f"HTTP/1.0 {status} {reason}\r\nContent-Type: {ctype}\r\nContent-Length: {len(body)}\r\n"
                "Connection: close\r\n\r\n"
            ).encode("latin-1") + body
            conn.setblocking(True)
            conn.settimeout(self.send_timeout_s)
            conn.sendall(response)
        except OSError:
            pass  # the client went away or would not read; nothing to do but close
        except Exception:  # noqa: BLE001 - a route's bug must not kill the worker pool
            log.exception("http route failed")
        finally:
            conn.close()

    def _respond(self, head: bytes | None) -> Answer:
        if head is None:
            return 431, b"request header too large\n", "text/plain; charset=utf-8"
        parts = head.split(b"\n", 1)[0].split()
        if len(parts) < 2 or parts[0] != b"GET":
            return 405, b"only GET is served\n", "text/plain; charset=utf-8"
        path = parts[1].decode("latin-1").split("?", 1)[0]
        try:
            return self.route(path)
        except Exception:
            log.exception("http route %s failed", path)
            return 500, b"internal error\n", "text/plain; charset=utf-8"
