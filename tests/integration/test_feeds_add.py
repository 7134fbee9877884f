"""`newsstream feeds add URL` on a loopback site whose home page links to its feeds, and
`feeds export-opml` reading back through `import-opml`."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from producers.feeds import load_feeds, parse_opml
from tests.integration.test_produce import FeedServer, feed_server, jsonfeed, rss

pytestmark = pytest.mark.integration
__all__ = ["feed_server"]

HOME = b"""<!DOCTYPE html>
<html lang="en-NZ"><head><title>Harbour Gazette | Local news</title>
<meta property="og:site_name" content="Harbour Gazette">
<link rel="alternate" type="application/rss+xml" title="Top stories" href="/rss.xml">
<link rel="alternate" type="application/feed+json" href="https://ignored.invalid/never" hreflang="x">
<link rel="alternate" type="application/feed+json" title="Latest" href="feeds/latest.json">
<link rel="alternate" type="application/atom+xml" href="/gone.xml">
<link rel="stylesheet" href="/style.css">
</head><body><h1>Harbour Gazette</h1></body></html>"""


def _cli(*args: str, allow_private: bool = True) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "NEWSSTREAM_LOG_FORMAT": "console"}
    env.pop("NEWSSTREAM_ALLOW_PRIVATE_ADDRESSES", None)
    if allow_private:
        env["NEWSSTREAM_ALLOW_PRIVATE_ADDRESSES"] = "1"
    return subprocess.run(
        [sys.executable, "-m", "newsstream.cli", *args], env=env, capture_output=True, text=True, timeout=120
    )


def test_feeds_add_discovers_validates_and_appends(feed_server: FeedServer, tmp_path: Path) -> None:
    home_rss = rss([("p1", "Pier lights restored")]).replace(b"<title>Site</title>", b"<title>Top stories</title>")
    feed_server.documents = {
        "/": (HOME, "text/html; charset=utf-8", False),
        "/rss.xml": (home_rss, "application/rss+xml", False),
        "/feeds/latest.json": (jsonfeed([("j1", "Regatta date set")]), "application/json", False),
    }
    feeds_file = tmp_path / "feeds.toml"
    base = feed_server.base

    added = _cli("feeds", "add", f"{base}/", "--feeds", str(feeds_file))
    assert added.returncode == 3, added.stderr  # partial: /gone.xml and the unresolvable link are not feeds
    assert "not a feed: " + f"{base}/gone.xml" in added.stderr
    feeds = {f.url: f for f in load_feeds(feeds_file)}
    assert set(feeds) == {f"{base}/rss.xml", f"{base}/feeds/latest.json"}
    rss_feed, json_feed = feeds[f"{base}/rss.xml"], feeds[f"{base}/feeds/latest.json"]
    assert (rss_feed.name, rss_feed.type, rss_feed.publisher, rss_feed.language) == (
        "Top stories", "rss", "Harbour Gazette", "en-NZ",
    )  # fmt: skip
    assert (json_feed.name, json_feed.type, json_feed.publisher) == ("JSON site", "jsonfeed", "Harbour Gazette")
    assert _cli("feeds", "check", "--feeds", str(feeds_file)).returncode == 0

    again = _cli("feeds", "add", f"{base}/rss.xml", "--feeds", str(feeds_file))
    assert again.returncode == 0 and "already in the list" in again.stderr
    assert len(load_feeds(feeds_file)) == 2

    exported = _cli("feeds", "export-opml", "--feeds", str(feeds_file))
    assert exported.returncode == 0
    back = {f.url: f for f in parse_opml(exported.stdout.encode()).feeds}
    assert back == feeds  # every field survives export and import


def test_feeds_add_goes_through_the_ssrf_guard(feed_server: FeedServer, tmp_path: Path) -> None:
    feed_server.documents = {"/": (HOME, "text/html", False)}
    blocked = _cli("feeds", "add", f"{feed_server.base}/", "--feeds", str(tmp_path / "f.toml"), allow_private=False)
    assert blocked.returncode == 4
    assert "loopback" in blocked.stderr and "NEWSSTREAM_ALLOWED_NETWORKS" in blocked.stderr
    assert feed_server.requests == []  # refused before any connection
    assert not (tmp_path / "f.toml").exists()
