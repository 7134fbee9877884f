"""A local news site whose article pages change over time (our own words), for the pages tests.

``Site`` serves ``pages`` (path -> (status, html, extra headers)) over real HTTP on 127.0.0.1, counts
hits per path, and answers robots.txt. A test edits ``pages`` to publish a correction, add JSON-LD,
remove a page or redirect it home.
"""

from __future__ import annotations

import json
import socket
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

PUBLISHER = "Valley Courier"
EARLIER = "Ferry service suspended after storm damage: Port authority"
CORRECTED = "Ferry operator says crossings resume on Friday"
PORTS = range(19900, 20000)

ROBOTS = "User-agent: *\nDisallow: /private/\n"

_CHROME_TOP = '<header><nav><a href="/">Home</a> <a href="/local">Local</a> <a href="/sport">Sport</a></nav></header>'
_CHROME_BOTTOM = (
    '<div class="comments"><h3>Comments</h3><p>The Valley Courier moderates all comments before they appear.</p>'
    "<p>Post a comment</p><p>Required</p></div><footer><p>Copyright Valley Courier</p></footer>"
)

BODY = [
    "PORT ELLEN - The ferry operator serving the island said on Wednesday that crossings will resume on Friday "
    "morning once engineers finish inspecting the damaged pier.",
    "Crews worked through the night to clear debris left by the storm, which tore loose two mooring lines and "
    "flooded the ticket office, according to the operator's statement.",
    "Passengers holding tickets for cancelled sailings will be offered places on the first crossings or a full "
    "refund, a spokeswoman for the operator told reporters at the harbour.",
    "Local businesses said the three-day closure had cost them deliveries of fresh produce and fuel, and several "
    "shops closed early on Tuesday as shelves emptied.",
]
CORRECTION = (
    'CORRECTION: This corrects a previous piece titled "Ferry service suspended after storm damage: Port authority" '
    "after the port authority withdrew its statement."
)
UPDATED = "UPDATED at 8:35 pm with the correction"


def article_html(title: str, paragraphs: list[str], json_ld: dict[str, Any] | None = None) -> str:
    """An article page with site chrome, a font-size widget and a comments section around the text."""
    ld = f'<script type="application/ld+json">{json.dumps(json_ld)}</script>' if json_ld else ""
    paras = "".join(f"<p>{p}</p>" for p in paragraphs)
    return (
        f'<!doctype html><html lang="en"><head><meta charset="utf-8"><title>{title} | Valley Courier</title>{ld}'
        f'</head><body>{_CHROME_TOP}<main><article><h1>{title}</h1><div class="font-size">A+ A-</div>'
        f'<p class="byline">By Morag Lindsay</p>{paras}</article></main>{_CHROME_BOTTOM}</body></html>'
    )


def news_article_ld(headline: str, correction: str | None = None) -> dict[str, Any]:
    ld: dict[str, Any] = {
        "@context": "https://schema.org",
        "@type": "NewsArticle",
        "headline": headline,
        "datePublished": "2026-11-24T09:00:00Z",
        "dateModified": "2026-11-24T09:00:00Z",
    }
    if correction:
        ld["dateModified"] = "2026-11-24T18:00:00Z"
        ld["correction"] = {"@type": "CorrectionComment", "text": correction}
    return ld


def free_ports(count: int) -> list[int]:
    """``count`` distinct free ports of 19900-19999 (held together while chosen)."""
    held: list[socket.socket] = []
    try:
        for port in PORTS:
            s = socket.socket()
            try:
                s.bind(("127.0.0.1", port))
            except OSError:
                s.close()
                continue
            held.append(s)
            if len(held) == count:
                return [h.getsockname()[1] for h in held]
    finally:
        for s in held:
            s.close()
    raise RuntimeError("not enough free ports in 19900-19999")


def free_port() -> int:
    return free_ports(1)[0]


class Site:
    """A threaded HTTP server over ``self.pages``; use as a context manager."""

    def __init__(self) -> None:
        self.pages: dict[str, tuple[int, str, dict[str, str]]] = {}
        self.hits: dict[str, int] = {}
        self.robots = ROBOTS
        self.lock = threading.Lock()
        site = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802 - http.server's naming
                path = self.path.split("?", 1)[0]
                with site.lock:
                    site.hits[path] = site.hits.get(path, 0) + 1
                    page = (200, site.robots, {"Content-Type": "text/plain"}) if path == "/robots.txt" else None
                    page = page or site.pages.get(path) or (404, "<html><body>Not found</body></html>", {})
                status, body, headers = page
                data = body.encode()
                self.send_response(status)
                self.send_header("Content-Type", headers.get("Content-Type", "text/html; charset=utf-8"))
                for name, value in headers.items():
                    if name != "Content-Type":
                        self.send_header(name, value)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, format: str, *args: object) -> None:  # noqa: A002
                pass

        self.port = free_port()
        self._httpd = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        self._httpd.daemon_threads = True
        self._thread = threading.Thread(target=self._httpd.serve_forever, daemon=True)

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def set(self, path: str, html: str, status: int = 200, **headers: str) -> None:
        with self.lock:
            self.pages[path] = (status, html, headers)

    def remove(self, path: str) -> None:
        with self.lock:
            self.pages.pop(path, None)

    def __enter__(self) -> Site:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()


def test_site_serves_pages_robots_and_counts_hits() -> None:
    import urllib.error
    import urllib.request

    with Site() as site:
        site.set("/a/1", article_html("A title", BODY[:1]))
        with urllib.request.urlopen(site.url("/a/1"), timeout=5) as response:  # noqa: S310 - loopback
            assert b"PORT ELLEN" in response.read()
        with urllib.request.urlopen(site.url("/robots.txt"), timeout=5) as response:  # noqa: S310 - loopback
            assert b"Disallow: /private/" in response.read()
        try:
            urllib.request.urlopen(site.url("/nope"), timeout=5)  # noqa: S310 - loopback
            raise AssertionError("expected a 404")
        except urllib.error.HTTPError as exc:
            assert exc.code == 404
        assert site.hits == {"/a/1": 1, "/robots.txt": 1, "/nope": 1}
