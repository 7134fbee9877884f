"""Issue 14, failure 6: /metrics cannot be exhausted by idle or slow connections.

Before: a ThreadingHTTPServer with no socket timeout and no thread cap; 1,500 half-open
connections pinned 1,504 threads. Now 2,000 idle connections (and some that send half a request
head) leave the thread count bounded, and /metrics still answers within 1 s: the bound the issue
states, generous here since an answer takes milliseconds once the server is not starved.
"""

from __future__ import annotations

import http.client
import socket
import threading
import time

from prometheus_client import CollectorRegistry, Counter

from newsstream.health import HealthServer


def test_2000_idle_connections_leave_metrics_answering_and_threads_bounded() -> None:
    registry = CollectorRegistry()
    Counter("newsstream_probe", "a sample metric", registry=registry).inc()
    server = HealthServer(registry, "127.0.0.1", 0).start()
    threads_before = threading.active_count()
    clients: list[socket.socket] = []
    try:
        for i in range(2000):
            conn = socket.create_connection(("127.0.0.1", server.port), timeout=5)
            if i % 10 == 0:
                conn.sendall(b"GET /metrics HTTP/1.1\r\nHost: x\r\n")  # a head that never ends (slowloris)
            clients.append(conn)
        time.sleep(0.5)  # let the server accept the burst
        threads_during = threading.active_count()
        started = time.monotonic()
        probe = http.client.HTTPConnection("127.0.0.1", server.port, timeout=5)
        probe.request("GET", "/metrics")
        response = probe.getresponse()
        body = response.read()
        elapsed = time.monotonic() - started
        probe.close()
    finally:
        for conn in clients:
            conn.close()
        server.stop()
    extra_threads = threads_during - threads_before
    print(f"/metrics answered in {elapsed * 1000:.0f} ms behind 2,000 idle connections; threads +{extra_threads}")
    assert response.status == 200 and b"newsstream_probe_total 1.0" in body
    assert elapsed < 1.0, f"/metrics took {elapsed:.2f} s behind 2,000 idle connections"
    # One selector thread and a fixed worker pool (started lazily, up to 4) on top of what ran before.
    assert threads_during - threads_before <= 5, (threads_before, threads_during)


def test_a_slow_request_head_is_cut_off() -> None:
    server = HealthServer(CollectorRegistry(), "127.0.0.1", 0)
    server._httpd.header_timeout_s = 0.5  # the default is 5 s; shortened to keep the test quick
    server.start()
    try:
        conn = socket.create_connection(("127.0.0.1", server.port), timeout=5)
        conn.sendall(b"GET /metrics HTTP/1.1\r\n")
        conn.settimeout(5)
        assert conn.recv(100) == b"", "the server closes a connection whose head does not arrive in time"
        conn.close()
    finally:
        server.stop()
