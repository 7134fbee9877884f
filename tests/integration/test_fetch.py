"""The fetcher against real HTTP servers on loopback, serving real feed bytes from the shared corpus."""

from __future__ import annotations

import asyncio
import gzip
import threading
import time
import tracemalloc
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import brotli
import pytest

from producers.fetch import Fetcher, FetchResult, FetchSettings, Validators
from tests.conftest import corpus_path

Handler = Callable[[BaseHTTPRequestHandler], None]
UA = "newsstream-test/0.1 (+https://example.invalid/contact)"


@dataclass
class Site:
    """A threaded HTTP server on a loopback address whose routes are plain functions."""

    host: str = "127.0.0.1"
    routes: dict[str, Handler] = field(default_factory=dict)
    hits: dict[str, int] = field(default_factory=dict)
    requests: list[dict[str, str]] = field(default_factory=list)
    in_flight: int = 0
    max_in_flight: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)
    server: ThreadingHTTPServer | None = None

    def start(self) -> Site:
        site = self

        class H(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: Any) -> None:
                pass

            def do_GET(self) -> None:  # noqa: N802
                path = self.path.split("?", 1)[0]
                with site.lock:
                    site.hits[path] = site.hits.get(path, 0) + 1
                    site.requests.append({k.lower(): v for k, v in self.headers.items()} | {":path": path})
                    site.in_flight += 1
                    site.max_in_flight = max(site.max_in_flight, site.in_flight)
                try:
                    handler = site.routes.get(path) or next(
                        (h for p, h in site.routes.items() if p.endswith("*") and path.startswith(p[:-1])), None
                    )
                    if handler is None:
                        send(self, 404, b"not found")
                    else:
                        handler(self)
                except OSError:  # the client hung up (too_large, timeout)
                    pass
                finally:
                    with site.lock:
                        site.in_flight -= 1

        self.server = ThreadingHTTPServer((self.host, 0), H)
        self.server.daemon_threads = True
        threading.Thread(target=self.server.serve_forever, args=(0.05,), daemon=True).start()
        return self

    def url(self, path: str) -> str:
        assert self.server is not None
        return f"http://{self.host}:{self.server.server_address[1]}{path}"

    def stop(self) -> None:
        if self.server is not None:
            self.server.shutdown()
            self.server.server_close()


def send(req: BaseHTTPRequestHandler, status: int, body: bytes = b"", **headers: str) -> None:
    req.send_response(status)
    for name, value in headers.items():
        req.send_header(name.replace("_", "-"), value)
    req.send_header("Content-Length", str(len(body)))
    req.end_headers()
    req.wfile.write(body)


def send_chunked(req: BaseHTTPRequestHandler, chunks: Iterator[bytes], **headers: str) -> None:
    req.send_response(200)
    for name, value in headers.items():
        req.send_header(name.replace("_", "-"), value)
    req.send_header("Transfer-Encoding", "chunked")
    req.end_headers()
    for chunk in chunks:
        if chunk:
            req.wfile.write(b"%x\r\n%s\r\n" % (len(chunk), chunk))
    req.wfile.write(b"0\r\n\r\n")


@pytest.fixture
def site() -> Iterator[Site]:
    s = Site().start()
    yield s
    s.stop()


@pytest.fixture(scope="module")
def feed_bytes() -> bytes:
    return corpus_path("real-feeds", "bbc-news-world.xml").read_bytes()


def settings(**overrides: Any) -> FetchSettings:
    base: dict[str, Any] = {"user_agent": UA, "allow_private_addresses": True}
    return FetchSettings(**(base | overrides))


def fetch(url: str, validators: Validators | None = None, **overrides: Any) -> FetchResult:
    async def go() -> FetchResult:
        async with Fetcher(settings(**overrides)) as fetcher:
            return await fetcher.fetch(url, validators)

    return asyncio.run(go())


def conditional(etag: str | None, last_modified: str | None, body: bytes) -> Handler:
    def handle(req: BaseHTTPRequestHandler) -> None:
        headers = {}
        if etag:
            headers["ETag"] = etag
        if last_modified:
            headers["Last-Modified"] = last_modified
        if (etag and req.headers.get("If-None-Match") == etag) or (
            last_modified and not etag and req.headers.get("If-Modified-Since") == last_modified
        ):
            req.send_response(304)
            for k, v in headers.items():
                req.send_header(k, v)
            req.end_headers()
            return
        send(req, 200, body, Content_Type="application/rss+xml; charset=utf-8", **headers)

    return handle


def test_200_then_304_with_etag(site: Site, feed_bytes: bytes) -> None:
    site.routes["/feed"] = conditional('"v1"', None, feed_bytes)
    first = fetch(site.url("/feed"))
    assert (first.outcome, first.status, first.body, first.etag) == ("ok", 200, feed_bytes, '"v1"')
    assert first.headers["content-type"].startswith("application/rss+xml")
    assert first.bytes_read == len(feed_bytes)
    second = fetch(site.url("/feed"), Validators(etag=first.etag))
    assert (second.outcome, second.status, second.body, second.etag) == ("not_modified", 304, None, '"v1"')
    assert site.requests[-1]["if-none-match"] == '"v1"'
    assert site.requests[0]["user-agent"] == UA
    assert "application/rss+xml" in site.requests[0]["accept"]
    assert site.requests[0]["accept-encoding"] == "gzip, deflate, br"


def test_200_then_304_with_last_modified(site: Site, feed_bytes: bytes) -> None:
    stamp = "Sun, 05 Nov 2023 17:35:00 GMT"
    site.routes["/feed"] = conditional(None, stamp, feed_bytes)
    first = fetch(site.url("/feed"))
    assert (first.outcome, first.last_modified, first.etag) == ("ok", stamp, None)
    second = fetch(site.url("/feed"), Validators(last_modified=first.last_modified))
    assert (second.outcome, second.last_modified) == ("not_modified", stamp)
    assert site.requests[-1]["if-modified-since"] == stamp
    assert "if-none-match" not in site.requests[-1]


def test_301_reports_the_permanent_redirect(site: Site, feed_bytes: bytes) -> None:
    site.routes["/old"] = lambda r: send(r, 301, Location="/older-still")
    site.routes["/older-still"] = lambda r: send(r, 308, Location=site.url("/new"))
    site.routes["/new"] = lambda r: send(r, 200, feed_bytes)
    result = fetch(site.url("/old"))
    assert result.outcome == "ok" and result.body == feed_bytes
    assert result.final_url == site.url("/new")
    assert result.permanent_redirect == site.url("/new")


def test_temporary_redirect_keeps_the_url(site: Site, feed_bytes: bytes) -> None:
    site.routes["/moved"] = lambda r: send(r, 301, Location="/temp")
    site.routes["/temp"] = lambda r: send(r, 302, Location="/final")
    site.routes["/final"] = lambda r: send(r, 200, feed_bytes)
    result = fetch(site.url("/moved"))
    assert result.outcome == "ok" and result.final_url == site.url("/final")
    # only the permanent part of the chain is reported
    assert result.permanent_redirect == site.url("/temp")
    plain = fetch(site.url("/temp"))
    assert plain.outcome == "ok" and plain.permanent_redirect is None


def test_endless_redirects_stop_after_five(site: Site) -> None:
    site.routes["/chain/*"] = lambda r: send(r, 301, Location=f"/chain/{int(r.path.rsplit('/', 1)[1]) + 1}")
    result = fetch(site.url("/chain/0"))
    assert result.outcome == "http_error"
    assert "too many redirects" in (result.error or "")
    assert sum(site.hits.values()) == 6  # the first request and five redirects
    assert result.permanent_redirect is None


def test_redirect_loop_is_named(site: Site) -> None:
    site.routes["/a"] = lambda r: send(r, 302, Location="/b")
    site.routes["/b"] = lambda r: send(r, 302, Location="/a")
    result = fetch(site.url("/a"))
    assert result.outcome == "http_error" and "redirect loop" in (result.error or "")
    assert sum(site.hits.values()) == 2


def test_410_is_gone(site: Site) -> None:
    site.routes["/gone"] = lambda r: send(r, 410, b"bye")
    result = fetch(site.url("/gone"))
    assert (result.outcome, result.status, result.body) == ("gone", 410, None)


def test_429_and_503_parse_retry_after(site: Site) -> None:
    site.routes["/busy"] = lambda r: send(r, 429, Retry_After="120")
    site.routes["/down"] = lambda r: send(
        r, 503, Retry_After=time.strftime("%a, %d %b %Y %H:%M:%S GMT", time.gmtime(time.time() + 600))
    )
    busy = fetch(site.url("/busy"))
    assert (busy.outcome, busy.status, busy.retry_after_s) == ("rate_limited", 429, 120.0)
    down = fetch(site.url("/down"))
    assert down.outcome == "rate_limited" and down.retry_after_s is not None
    assert 590 <= down.retry_after_s <= 601


def test_other_errors_are_http_errors(site: Site) -> None:
    site.routes["/boom"] = lambda r: send(r, 500, b"oops")
    result = fetch(site.url("/boom"))
    assert result.outcome == "http_error" and "500" in (result.error or "")
    assert fetch(site.url("/missing")).outcome == "http_error"


@pytest.mark.parametrize(
    ("encoding", "compress"),
    [
        ("gzip", gzip.compress),
        ("br", brotli.compress),
        ("deflate", zlib.compress),
        ("deflate", lambda b: zlib.compress(b)[2:-4]),  # raw deflate, as some servers send it
    ],
)
def test_compressed_bodies(site: Site, feed_bytes: bytes, encoding: str, compress: Callable[[bytes], bytes]) -> None:
    wire = compress(feed_bytes)
    site.routes["/feed"] = lambda r: send(r, 200, wire, Content_Encoding=encoding)
    result = fetch(site.url("/feed"))
    assert result.outcome == "ok" and result.body == feed_bytes
    assert result.bytes_read == len(wire) < len(feed_bytes)


def test_corrupt_gzip_is_a_network_error(site: Site, feed_bytes: bytes) -> None:
    wire = gzip.compress(feed_bytes)[:-200]
    site.routes["/feed"] = lambda r: send(r, 200, wire, Content_Encoding="gzip")
    result = fetch(site.url("/feed"))
    assert result.outcome == "network_error" and result.body is None


@pytest.mark.parametrize("encoding", ["gzip", "br", "deflate"])
def test_garbage_compressed_body_is_a_network_error(site: Site, encoding: str) -> None:
    site.routes["/feed"] = lambda r: send(r, 200, b"\x1f\x8b\x08\x00garbage" * 50, Content_Encoding=encoding)
    result = fetch(site.url("/feed"))
    assert result.outcome == "network_error" and "corrupt" in (result.error or "")


def test_malformed_urls_do_not_raise() -> None:
    for url in ("http://[::1/feed", "http://example.com:99999/feed", "not a url", ""):
        assert fetch(url).outcome in ("blocked", "network_error")


def test_body_over_the_cap(site: Site, feed_bytes: bytes) -> None:
    site.routes["/declared"] = lambda r: send(r, 200, feed_bytes)
    site.routes["/chunked"] = lambda r: send_chunked(r, iter([feed_bytes[i : i + 1000] for i in range(0, 20000, 1000)]))
    declared = fetch(site.url("/declared"), max_bytes=4096)
    assert declared.outcome == "too_large" and "Content-Length" in (declared.error or "")
    chunked = fetch(site.url("/chunked"), max_bytes=4096)
    assert chunked.outcome == "too_large" and chunked.body is None
    assert fetch(site.url("/chunked"), max_bytes=20000).outcome == "ok"


def _gzip_bomb(size: int) -> list[bytes]:
    """``size`` bytes of zeros, gzip-compressed piece by piece (about 1 MB of output per GB)."""
    comp = zlib.compressobj(9, zlib.DEFLATED, 16 + zlib.MAX_WBITS)
    zeros = bytes(1 << 20)
    pieces = [comp.compress(zeros) for _ in range(size >> 20)]
    pieces.append(comp.flush())
    return pieces


def test_gzip_bomb_stops_early_with_bounded_memory(site: Site) -> None:
    pieces = _gzip_bomb(1 << 30)  # 1 GiB of zeros
    wire_size = sum(map(len, pieces))
    sent = []

    def bomb(req: BaseHTTPRequestHandler) -> None:
        def stream() -> Iterator[bytes]:
            for piece in pieces:
                sent.append(len(piece))
                yield piece

        send_chunked(req, stream(), Content_Encoding="gzip", Content_Type="application/rss+xml")

    site.routes["/bomb"] = bomb
    tracemalloc.start()
    started = time.monotonic()
    result = fetch(site.url("/bomb"))
    elapsed = time.monotonic() - started
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert result.outcome == "too_large" and "decompressed" in (result.error or "")
    assert elapsed < 5
    assert result.bytes_read < wire_size / 10  # stopped long before the whole bomb arrived
    assert peak < 40 * 1024 * 1024  # the 10 MB cap plus buffers, never the gigabyte


def test_brotli_bomb_stops_early(site: Site) -> None:
    wire = brotli.compress(bytes(256 << 20), quality=5)  # 256 MiB of zeros in a few hundred bytes
    site.routes["/bomb"] = lambda r: send(r, 200, wire, Content_Encoding="br")
    tracemalloc.start()
    result = fetch(site.url("/bomb"), max_bytes=1 << 20)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert result.outcome == "too_large"
    assert peak < 16 * 1024 * 1024


def test_one_byte_per_second_trips_the_total_timeout(site: Site, feed_bytes: bytes) -> None:
    def trickle(req: BaseHTTPRequestHandler) -> None:
        req.send_response(200)
        req.send_header("Content-Length", str(len(feed_bytes)))
        req.end_headers()
        for byte in feed_bytes[:30]:
            req.wfile.write(bytes([byte]))
            req.wfile.flush()
            time.sleep(1)

    site.routes["/slow"] = trickle
    started = time.monotonic()
    result = fetch(site.url("/slow"), total_timeout=2.5, read_timeout=2)
    assert result.outcome == "timeout" and "total timeout" in (result.error or "")
    assert 2.4 < time.monotonic() - started < 4.5


def test_read_timeout(site: Site) -> None:
    def stall(req: BaseHTTPRequestHandler) -> None:
        time.sleep(3)
        send(req, 200, b"late")

    site.routes["/stall"] = stall
    result = fetch(site.url("/stall"), read_timeout=0.5, total_timeout=10)
    assert result.outcome == "timeout" and result.elapsed_s < 2.5


def test_html_instead_of_a_feed_is_still_ok(site: Site) -> None:
    page = b"<!doctype html><html><head><title>Welcome</title></head><body><p>Not a feed.</p></body></html>"
    site.routes["/feed"] = lambda r: send(r, 200, page, Content_Type="text/html; charset=utf-8")
    result = fetch(site.url("/feed"))
    assert result.outcome == "ok" and result.body == page


def test_empty_200(site: Site) -> None:
    site.routes["/empty"] = lambda r: send(r, 200, b"")
    result = fetch(site.url("/empty"))
    assert (result.outcome, result.body, result.bytes_read) == ("ok", b"", 0)


def test_connection_refused_is_a_network_error() -> None:
    probe = Site().start()
    url = probe.url("/feed")
    probe.stop()
    result = fetch(url)
    assert result.outcome == "network_error" and result.error


def test_per_host_limit(site: Site) -> None:
    def slow(req: BaseHTTPRequestHandler) -> None:
        time.sleep(0.2)
        send(req, 200, b"<rss/>")

    site.routes["/f/*"] = slow

    async def go() -> list[FetchResult]:
        async with Fetcher(settings(per_host_limit=2)) as fetcher:
            return await asyncio.gather(*(fetcher.fetch(site.url(f"/f/{i}")) for i in range(8)))

    results = asyncio.run(go())
    assert all(r.outcome == "ok" for r in results)
    assert site.max_in_flight == 2


def test_credentials_are_not_sent_to_another_origin(feed_bytes: bytes) -> None:
    origin = Site(host="127.0.0.1").start()
    other = Site(host="127.0.0.2").start()
    try:
        origin.routes["/feed"] = lambda r: send(r, 301, Location=other.url("/feed"))
        other.routes["/feed"] = lambda r: send(r, 200, feed_bytes)

        async def go() -> FetchResult:
            async with Fetcher(settings()) as fetcher:
                return await fetcher.fetch(origin.url("/feed"), headers={"Authorization": "Bearer secret"})

        result = asyncio.run(go())
        assert result.outcome == "ok"
        assert origin.requests[0]["authorization"] == "Bearer secret"
        assert "authorization" not in other.requests[0]
    finally:
        origin.stop()
        other.stop()


# --- SSRF guard, on the real connection path ---------------------------------------------------


def test_loopback_literal_is_blocked(site: Site, feed_bytes: bytes) -> None:
    site.routes["/feed"] = lambda r: send(r, 200, feed_bytes)
    result = fetch(site.url("/feed"), allow_private_addresses=False)
    assert result.outcome == "blocked" and "loopback" in (result.error or "")
    assert site.hits == {}  # refused before any connection


def test_localhost_name_is_blocked_by_the_resolver(site: Site) -> None:
    site.routes["/feed"] = lambda r: send(r, 200, b"<rss/>")
    assert site.server is not None
    result = fetch(f"http://localhost:{site.server.server_address[1]}/feed", allow_private_addresses=False)
    assert result.outcome == "blocked" and "localhost resolves to" in (result.error or "")
    assert site.hits == {}


def test_redirect_from_an_allowed_host_to_a_private_one_is_blocked(feed_bytes: bytes) -> None:
    """127.0.0.2 stands for a public host (the operator allow-lists it); 127.0.0.1 stays refused."""
    public = Site(host="127.0.0.2").start()
    internal = Site(host="127.0.0.1").start()
    try:
        internal.routes["/admin"] = lambda r: send(r, 200, b"secret")
        public.routes["/feed"] = lambda r: send(r, 302, Location=internal.url("/admin"))
        public.routes["/ok"] = lambda r: send(r, 200, feed_bytes)
        guarded = {"allow_private_addresses": False, "allowed_networks": ("127.0.0.2/32",)}
        assert fetch(public.url("/ok"), **guarded).outcome == "ok"
        result = fetch(public.url("/feed"), **guarded)
        assert result.outcome == "blocked" and "redirect to" in (result.error or "")
        assert result.final_url == internal.url("/admin") and result.body is None
        assert internal.hits == {}
    finally:
        public.stop()
        internal.stop()


def test_redirect_to_another_scheme_is_blocked(site: Site) -> None:
    site.routes["/feed"] = lambda r: send(r, 301, Location="file:///etc/passwd")
    result = fetch(site.url("/feed"))
    assert result.outcome == "blocked" and "scheme" in (result.error or "")
    assert result.permanent_redirect is None
    assert fetch("ftp://example.com/feed.xml").outcome == "blocked"
