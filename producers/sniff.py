"""What a fetched document is, from its first bytes, whatever the feed list or the server declares.

Feeds are often declared wrongly: an OPML import knows only ``type="rss"``, servers label JSON
Feeds ``text/html`` and Atom ``text/plain``. The producers therefore look at the bytes: a JSON
object is a JSON Feed, ``<rss``/``<feed``/``<rdf:RDF`` root elements are RSS, Atom and RSS 1.0, and
an HTML page is named as such (with the command that finds the feeds it links to).
"""

from __future__ import annotations

import re

#: The first element after the prolog (XML declaration, comments, processing instructions, DOCTYPE).
_ROOT = re.compile(rb"<(?![?!])([A-Za-z_][\w.\-]*:)?([A-Za-z_][\w.\-]*)")
_PROLOG_BYTES = 4096
KINDS = ("jsonfeed", "rss", "atom", "rdf", "html")
#: The feeds.toml ``type`` that parses each kind.
TYPE_FOR = {"jsonfeed": "jsonfeed", "rss": "rss", "atom": "rss", "rdf": "rss"}
LABEL = {"jsonfeed": "a JSON Feed", "rss": "an RSS feed", "atom": "an Atom feed", "rdf": "an RSS 1.0 (RDF) feed"}


def _decoded_head(body: bytes) -> bytes:
    """The first bytes as ASCII-compatible text (UTF-16 feeds exist; their markup is ASCII)."""
    head = body[:_PROLOG_BYTES]
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):
        return head.decode("utf-16", "ignore").encode("ascii", "ignore")
    return head.removeprefix(b"\xef\xbb\xbf")


def sniff(body: bytes) -> str | None:
    """``jsonfeed``, ``rss``, ``atom``, ``rdf``, ``html``, or None when the bytes say nothing clear."""
    head = _decoded_head(body).lstrip()
    if head.startswith(b"{"):
        return "jsonfeed" if b'"items"' in body or b"jsonfeed.org/version" in head else None
    match = _ROOT.search(head)
    if match is None:
        return None
    root = match.group(2).decode("ascii", "replace").lower()
    if root == "rss":
        return "rss"
    if root == "feed":
        return "atom"
    if root == "rdf":
        return "rdf"
    if root in ("html", "head", "body") or head[:15].lower().startswith(b"<!doctype html"):
        return "html"
    return None


def mismatch_note(declared: str, kind: str) -> str:
    """The note a producer records when the document is not what ``type`` says."""
    return (
        f"declared type = {declared!r} but the document is {LABEL[kind]}; parsed as such "
        f"(set type = {TYPE_FOR[kind]!r} for this feed in feeds.toml to silence this)"
    )


def unknown_hint(body: bytes) -> str:
    """Appended to a parse error when the bytes are no known kind: what they start with."""
    head = _decoded_head(body).lstrip()[:60].decode("utf-8", "replace")
    return f"; the document is not RSS, Atom, RDF or JSON Feed (it starts {head!r})"


HTML_ERROR = "the URL serves an HTML page, not a feed; `newsstream feeds add URL` finds the feeds the page links to"
