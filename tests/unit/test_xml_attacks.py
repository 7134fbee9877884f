"""Hostile XML in a feed: entity expansion (billion laughs, quadratic blowup) and external entities
(XXE: file, parameter entity, external DTD). Bounded time and memory; no file content leaks."""

from __future__ import annotations

import resource
import time
from pathlib import Path

import orjson
import pytest

from producers.parse import defuse_doctype, parse_feed

ITEM = b"<item><title>T %s</title><link>https://x.example/1</link><description>%s</description></item>"


def rss(doctype: bytes, title_ref: bytes, body_ref: bytes) -> bytes:
    return (
        b'<?xml version="1.0"?>\n' + doctype + b'\n<rss version="2.0"><channel><title>Attack</title>'
        + ITEM % (title_ref, body_ref) + b"</channel></rss>"
    )  # fmt: skip


def billion_laughs() -> bytes:
    decls = [b'<!ENTITY lol0 "lol">']
    for i in range(1, 10):
        decls.append(b'<!ENTITY lol%d "%s">' % (i, b"".join(b"&lol%d;" % (i - 1) for _ in range(10))))
    return rss(b"<!DOCTYPE rss [" + b"\n".join(decls) + b"]>", b"&lol9;", b"&lol9;")


def quadratic_blowup() -> bytes:
    big = b"A" * 50_000
    return rss(b'<!DOCTYPE rss [<!ENTITY a "' + big + b'">]>', b"x", b"&a;" * 50_000)


@pytest.fixture
def secret(tmp_path: Path) -> Path:
    path = tmp_path / "secret.txt"
    path.write_text("TOP-SECRET-CONTENT-1234\n")
    return path


def xxe_variants(secret: Path) -> dict[str, bytes]:
    uri = secret.as_uri().encode()
    return {
        "general": rss(b'<!DOCTYPE rss [<!ENTITY xxe SYSTEM "' + uri + b'">]>', b"&xxe;", b"&xxe;"),
        "public": rss(b'<!DOCTYPE rss [<!ENTITY xxe PUBLIC "-//x" "' + uri + b'">]>', b"&xxe;", b"&xxe;"),
        "parameter": rss(b'<!DOCTYPE rss [<!ENTITY % p SYSTEM "' + uri + b'"> %p;]>', b"a", b"b"),
        "external_dtd": rss(b'<!DOCTYPE rss SYSTEM "' + uri + b'">', b"a", b"b"),
        "etc_passwd": rss(b'<!DOCTYPE rss [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>', b"&xxe;", b"&xxe;"),
    }


def _maxrss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


@pytest.mark.parametrize("make", [billion_laughs, quadratic_blowup], ids=["billion_laughs", "quadratic"])
def test_entity_expansion_is_bounded(make: object) -> None:
    body = make()  # type: ignore[operator]
    before = _maxrss_mb()
    started = time.perf_counter()
    result = parse_feed(body, url="https://x.example/feed", headers={"content-type": "application/rss+xml"})
    elapsed = time.perf_counter() - started
    assert elapsed < 5, elapsed
    assert _maxrss_mb() - before < 200
    out = orjson.dumps(result.articles)
    assert len(out) < 20 * len(body) + 10_000  # nothing expanded beyond the input's own size
    assert b"lollollol" not in out
    assert result.notes or result.bozo  # defused or flagged, never silently expanded


def test_xxe_never_reads_files(secret: Path) -> None:
    for name, body in xxe_variants(secret).items():
        result = parse_feed(body, url="https://x.example/feed", headers={"content-type": "application/rss+xml"})
        out = orjson.dumps(result.articles)
        assert b"TOP-SECRET" not in out, name
        assert b"root:" not in out, name
        for article in result.articles:
            assert article["entry"]["link"] == "https://x.example/1"


def test_defuse_doctype_drops_only_dangerous_subsets() -> None:
    safe = b'<?xml version="1.0"?><!DOCTYPE rss [<!ENTITY nbsp "&#160;"><!ENTITY copy "(c)">]><rss/>'
    assert defuse_doctype(safe) == (safe, None)
    cleaned, note = defuse_doctype(b'<!DOCTYPE rss [<!ENTITY x SYSTEM "file:///etc/passwd">]><rss>&x;</rss>')
    assert cleaned == b"<!DOCTYPE rss><rss>&x;</rss>" and note
    unterminated, note = defuse_doctype(b'<!DOCTYPE rss [<!ENTITY a "b" ' + b"x" * 70_000 + b"<rss/>")
    assert unterminated == b"<rss/>" and note
    no_doctype = b"<rss><!ENTITY in body></rss>"
    assert defuse_doctype(no_doctype) == (no_doctype, None)


def test_simple_internal_entities_are_left_to_feedparser() -> None:
    import io

    import feedparser

    body = rss(b'<!DOCTYPE rss [<!ENTITY company "Example Corp">]>', b"&company;", b"by &company;")
    assert defuse_doctype(body) == (body, None)
    result = parse_feed(body, url="https://x.example/feed", headers={"content-type": "application/rss+xml"})
    bare = feedparser.parse(io.BytesIO(body), response_headers={"content-type": "application/rss+xml"})
    assert result.articles[0]["entry"]["title"] == bare.entries[0].title  # same as feedparser alone
