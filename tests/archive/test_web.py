"""``newsstream web`` over HTTP, on both backends: escaping, CSP, Atom, exports, API, errors."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable
from typing import Any

import feedparser
import pytest

from consumers.archive.store import open_store
from consumers.normalize import normalize
from tests.archive.conftest import WebServer
from tests.archive.pipeline_data import chain, demo, events
from tests.archive.test_store import records
from tests.integration.helpers import raw_article

HOSTILE_TITLE = '=HYPERLINK("http://evil.example") <script>alert("title")</script> Ferry timetable'
SEED = "Iraqi militia claims to target US forces in Syria"
EARLIER = "US downs Turkish drone in northeast Syria: War monitor"


def hostile() -> list[Any]:
    """An article whose feed wrote its title and body with entities: they decode to markup, kept as text."""
    link = "https://evil.example/ferry"
    first = normalize(
        raw_article(901, publisher="Evil Gazette", link=link, title="&lt;script&gt;alert(1)&lt;/script&gt; Ferry",
                    paragraphs=["The ferry runs daily &lt;img src=http://evil.example/t.png&gt; from the pier."])
    )  # fmt: skip
    second = normalize(
        raw_article(901, version=2, publisher="Evil Gazette", link=link, title=HOSTILE_TITLE.replace("<", "&lt;"),
                    paragraphs=["The ferry runs daily &lt;img src=http://evil.example/t.png&gt; from the pier.",
                                "CORRECTION: An earlier version misstated &lt;b&gt;the&lt;/b&gt; departure times."])
    )  # fmt: skip
    assert first["title"].startswith("<script>") and second["title"] == HOSTILE_TITLE
    return chain([first, second])


def fill(dsn: str) -> None:
    store = open_store(dsn)
    store.migrate()
    store.write_batch(records(demo() + hostile()), "g")
    store.close()


@pytest.fixture
def server(archive_dsn: str, web_server: Callable[[str], WebServer]) -> WebServer:
    fill(archive_dsn)
    return web_server(archive_dsn)


def api(server: WebServer, path: str) -> Any:
    status, headers, body = server.get(path)
    assert status == 200, body[:500]
    assert headers["Content-Type"].startswith("application/json")
    return json.loads(body)


def test_every_response_has_the_csp_and_loads_nothing_remote(server: WebServer) -> None:
    for path in ("/", "/search?q=ferry", "/api/stats", "/feeds/corrections.atom", "/static/style.css", "/nope",
                 "/export.csv", "/?type=bogus"):  # fmt: skip
        status, headers, body = server.get(path)
        csp = headers.get("Content-Security-Policy", "")
        assert "default-src 'none'" in csp and "script-src 'self'" in csp and "img-src 'self'" in csp, path
        assert "http" not in csp, path  # no remote origin allowed anywhere
        assert headers.get("X-Content-Type-Options") == "nosniff", path
    _, _, page = server.get("/")
    assert b"<img" not in page and b'http://evil.example/t.png"' not in page


def test_hostile_feed_text_is_escaped_everywhere(server: WebServer) -> None:
    events = api(server, "/api/events?publisher=Evil+Gazette")["events"]
    article_id = events[0]["article_id"]
    for path in ("/", f"/article/{article_id}", f"/article/{article_id}?from=1&to=2", "/search?q=ferry"):
        status, _, body = server.get(path)
        assert status == 200, path
        text = body.decode()
        assert "<script>alert" not in text and "&lt;script&gt;alert" in text, path
        assert "<b>the</b>" not in text, path
    _, _, atom = server.get("/feeds/corrections.atom?publisher=Evil+Gazette")
    parsed = feedparser.parse(atom)
    assert not parsed.bozo, parsed.get("bozo_exception")
    assert any(HOSTILE_TITLE in e.title for e in parsed.entries)  # read back as the literal text it was
    _, _, exported = server.get("/export.csv?publisher=Evil+Gazette")
    rows = list(csv.DictReader(io.StringIO(exported.decode())))
    assert rows and all(r["title"] == "'" + HOSTILE_TITLE for r in rows)  # a spreadsheet shows it, never runs it


def test_atom_feed_validates_and_lists_the_demo_corrections(server: WebServer) -> None:
    status, headers, body = server.get("/feeds/corrections.atom?type=correction")
    assert status == 200 and headers["Content-Type"].startswith("application/atom+xml")
    parsed = feedparser.parse(body)
    assert not parsed.bozo, parsed.get("bozo_exception")
    corrections = events(demo() + hostile(), "correction")
    assert corrections
    assert sorted(e.title for e in parsed.entries) == sorted(f"correction: {e['title']}" for e in corrections)
    assert len({e.id for e in parsed.entries}) == len(corrections)
    assert all(e.link.startswith(server.url + "/article/") for e in parsed.entries)
    everything = feedparser.parse(server.get("/feeds/corrections.atom")[2])
    assert not everything.bozo and len(everything.entries) == len(events(demo() + hostile()))
    zagros = feedparser.parse(server.get("/feeds/corrections.atom?publisher=Zagros+Ledger")[2])
    assert not zagros.bozo and zagros.entries and all(e.author == "Zagros Ledger" for e in zagros.entries)


def test_atom_feed_entry_of_the_seed_names_the_article_it_corrects(server: WebServer) -> None:
    parsed = feedparser.parse(server.get("/feeds/corrections.atom?type=correction")[2])
    seed = next((e for e in parsed.entries if SEED in e.title), None)
    assert seed is not None, [e.title for e in parsed.entries]
    assert EARLIER in seed.summary


def test_api_exports_and_errors(server: WebServer) -> None:  # noqa: PLR0915 - one server, many checks
    everything = api(server, "/api/events?limit=500")["events"]
    assert len(everything) == len(events(demo() + hostile()))
    page = api(server, "/api/events?limit=5")
    older = api(server, f"/api/events?limit=5&before={page['next_before']}")["events"]
    assert not {e["event_id"] for e in page["events"]} & {e["event_id"] for e in older}
    first = everything[-1]
    article = api(server, f"/api/articles/{first['article_id']}")
    assert first["event_id"] in [e["event_id"] for e in article["events"]]
    assert [v["version"] for v in article["versions"]] == list(range(1, article["article"]["current_version"] + 1))
    bridge = next(e for e in everything if e["type"] == "headline_change")
    diff = api(server, f"/api/articles/{bridge['article_id']}/diff?from=1&to=2")
    assert any(op == "-" for op, _ in diff["title"]) and any(op == "+" for op, _ in diff["title"])
    found = api(server, "/api/search?q=misstated+departure")
    assert [n["title"] for n in found["notices"]] == [HOSTILE_TITLE]
    n_corrections = len(events(demo() + hostile(), "correction"))
    _, headers, jsonl = server.get("/export.jsonl?type=correction")
    lines = [json.loads(line) for line in jsonl.splitlines()]
    assert len(lines) == n_corrections and {line["type"] for line in lines} == {"correction"}
    _, _, exported = server.get("/export.csv?type=correction")
    assert len(list(csv.DictReader(io.StringIO(exported.decode())))) == n_corrections
    assert server.get("/api/events?type=bogus")[0] == 400
    assert server.get("/api/events?since=yesterday")[0] == 400
    assert server.get("/api/articles/nope")[0] == 404
    assert server.get("/article/nope")[0] == 404
    assert server.get("/api/search")[0] == 400
