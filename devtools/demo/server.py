"""The demo feed server: the bundled feeds as successive versions over time (stdlib, threaded).

    GET  /zagros/rss.xml ...        a feed at the current step (ETag, Last-Modified, 304, gzip)
    GET  /<feed>/news/<slug>        the article page of an item shown at the current step, else 404
    GET  /_state                    {"step": N, "max_step": M}
    POST /_advance[?to=N]           next step (or step N), clamped to max_step; returns the state
    GET  /                          the feed list as JSON

The step advances by itself every ``step_seconds`` (0 = only on POST /_advance) and stays at
``max_step`` once there. A feed's Last-Modified is the (fictional, fixed) time of the step at which
its bytes last changed, so If-Modified-Since and If-None-Match agree.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import logging
import threading
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime, parsedate_to_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

from devtools.demo.content import FEEDS, MAX_STEP, Feed
from devtools.demo.render import CONTENT_TYPES, render_feed, render_page

log = logging.getLogger(__name__)

DEFAULT_PORT = 8642
DEFAULT_STEP_SECONDS = 15.0
#: The fictional moment each step's versions were published (step s: this plus s days).
STEP_EPOCH = datetime(2023, 11, 5, 12, 0, tzinfo=UTC)


@dataclass(frozen=True)
class Rendition:
    body: bytes
    etag: str  # without quotes
    last_modified: str


def _etag(body: bytes) -> str:
    return hashlib.sha256(body).hexdigest()[:20]


class DemoServer:
    """A running demo server; ``serve()`` builds one and starts it in background threads."""

    def __init__(self, host: str, port: int, step_seconds: float) -> None:
        self.step_seconds = step_seconds
        self.max_step = MAX_STEP
        self._step = 0
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._cache: dict[tuple[str, int, str], Rendition] = {}
        self._httpd = ThreadingHTTPServer((host, port), _handler_for(self))
        self._httpd.daemon_threads = True
        self.host = host
        self.port: int = self._httpd.server_address[1]
        self._threads = [threading.Thread(target=self._httpd.serve_forever, args=(0.1,), daemon=True)]
        if step_seconds > 0:
            self._threads.append(threading.Thread(target=self._tick, daemon=True))

    def start(self) -> DemoServer:
        for thread in self._threads:
            thread.start()
        return self

    @property
    def step(self) -> int:
        return self._step

    def url(self, path: str = "/") -> str:
        return f"http://{self.host}:{self.port}{path}"

    def advance(self, to: int | None = None) -> int:
        """Move to the next step (or to step ``to``), clamped to [0, max_step]; returns the new step."""
        with self._lock:
            target = self._step + 1 if to is None else to
            self._step = max(0, min(self.max_step, target))
            return self._step

    def state(self) -> dict[str, int]:
        return {"step": self._step, "max_step": self.max_step}

    def shutdown(self) -> None:
        self._stop.set()
        self._httpd.shutdown()
        self._httpd.server_close()

    def _tick(self) -> None:
        while not self._stop.wait(self.step_seconds):
            if self._step >= self.max_step:
                return
            log.info("demo feeds: step %d of %d", self.advance(), self.max_step)

    def rendition(self, feed: Feed, step: int, base_url: str) -> Rendition:
        key = (feed.key, step, base_url)
        cached = self._cache.get(key)
        if cached is not None:
            return cached
        body = render_feed(feed, step, base_url)
        changed = step
        while changed > 0 and render_feed(feed, changed - 1, base_url) == body:
            changed -= 1
        moment = STEP_EPOCH + timedelta(days=changed)
        rendition = Rendition(body, _etag(body), format_datetime(moment, usegmt=True))
        self._cache[key] = rendition
        return rendition


def _matches(if_none_match: str, etag: str) -> bool:
    """Weak comparison (RFC 9110 13.1.2) of an If-None-Match list against our tag."""
    if if_none_match.strip() == "*":
        return True
    for candidate in if_none_match.split(","):
        tag = candidate.strip().removeprefix("W/").strip('"')
        if tag.removesuffix("-gz") == etag:
            return True
    return False


def _not_modified_since(if_modified_since: str, last_modified: str) -> bool:
    try:
        return parsedate_to_datetime(if_modified_since) >= parsedate_to_datetime(last_modified)
    except (TypeError, ValueError):
        return False


def _handler_for(server: DemoServer) -> type[BaseHTTPRequestHandler]:
    feeds = {feed.path: feed for feed in FEEDS}
    by_key = {feed.key: feed for feed in FEEDS}

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        server_version = "newsstream-demo/0.1"

        def log_message(self, format: str, *args: object) -> None:  # noqa: A002 - http.server's name
            log.debug("%s " + format, self.address_string(), *args)

        def _send(self, status: int, body: bytes, content_type: str, **headers: str) -> None:
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            for name, value in headers.items():
                self.send_header(name.replace("_", "-"), value)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(body)

        def _json(self, status: int, payload: object) -> None:
            self._send(status, json.dumps(payload).encode(), "application/json", Cache_Control="no-store")

        def _base_url(self) -> str:
            return f"http://{self.headers.get('Host') or f'{server.host}:{server.port}'}"

        def do_GET(self) -> None:  # noqa: N802 - http.server's naming
            path = urlsplit(self.path).path
            if path == "/_state":
                self._json(200, server.state())
            elif path == "/":
                self._json(200, {"feeds": [{"url": self._base_url() + f.path, "type": f.kind} for f in FEEDS]})
            elif path in feeds:
                self._feed(feeds[path])
            else:
                self._page(path)

        do_HEAD = do_GET  # noqa: N815

        def do_POST(self) -> None:  # noqa: N802
            parts = urlsplit(self.path)
            if parts.path != "/_advance":
                self._json(404, {"error": "not found"})
                return
            to = parse_qs(parts.query).get("to")
            try:
                server.advance(int(to[0]) if to else None)
            except ValueError:
                self._json(400, {"error": "'to' must be an integer"})
                return
            self._json(200, server.state())

        def _feed(self, feed: Feed) -> None:
            r = server.rendition(feed, server.step, self._base_url())
            gzipped = "gzip" in self.headers.get("Accept-Encoding", "")
            tag = f'"{r.etag}-gz"' if gzipped else f'"{r.etag}"'
            validators = {"ETag": tag, "Last-Modified": r.last_modified, "Vary": "Accept-Encoding"}
            inm, ims = self.headers.get("If-None-Match"), self.headers.get("If-Modified-Since")
            if (inm and _matches(inm, r.etag)) or (not inm and ims and _not_modified_since(ims, r.last_modified)):
                self.send_response(304)
                for name, value in validators.items():
                    self.send_header(name, value)
                self.end_headers()
                return
            body = gzip.compress(r.body, mtime=0) if gzipped else r.body
            if gzipped:
                validators["Content-Encoding"] = "gzip"
            self._send(200, body, CONTENT_TYPES[feed.kind], **validators)

        def _page(self, path: str) -> None:
            segments = path.strip("/").split("/")
            feed = by_key.get(segments[0]) if len(segments) == 3 and segments[1] == "news" else None
            item = next((i for i in feed.items(server.step) if i.slug == segments[2]), None) if feed else None
            if feed is None or item is None:
                self._send(404, b"<!doctype html><title>Not found</title><p>Not found.</p>", "text/html")
                return
            self._send(200, render_page(feed, item), "text/html; charset=utf-8")

    return Handler


def serve(host: str = "127.0.0.1", port: int = DEFAULT_PORT, step_seconds: float = DEFAULT_STEP_SECONDS) -> DemoServer:
    """Start the demo server in background threads (port 0 picks a free port) and return it."""
    return DemoServer(host, port, step_seconds).start()
