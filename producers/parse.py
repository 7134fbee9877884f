"""Parse RSS/Atom/RDF bytes into RawArticle dicts (pure: no Kafka, no HTTP, no metrics).

``parse_feed`` hands the bytes and the response headers to ``feedparser`` (so the encoding resolves
the way feedparser intends: HTTP charset, BOM, XML declaration, fallbacks) and maps every usable
entry to a RawArticle (``schemas/raw-article.v1.json``). A *bozo* feed whose entries were recovered
still yields them; the bozo reason comes back in :attr:`ParseResult.bozo` for the caller to log and
count.

Hostile XML: feedparser's SAX parser has external general entities off and feedparser rewrites the
DOCTYPE to keep only simple internal entities; on top of that :func:`defuse_doctype` drops an
internal DTD subset that declares external (SYSTEM/PUBLIC), parameter or nested entities before the
bytes reach any parser (billion laughs, XXE), so no expansion and no file read can happen.
"""

from __future__ import annotations

import io
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import feedparser

from producers.entry_checks import EMPTY_NOTE, MAX_BAD_NOTES, bad_entry_note, has_text
from producers.fingerprint import utc_string
from producers.raw_article import (
    DEFAULT_PRODUCER,
    build_article,
    feed_block,
    fetched_at_string,
    http_block,
    separate_repeats,
)

#: The RawArticle builders live in :mod:`producers.raw_article`; they stay importable from here.
__all__ = [
    "DEFAULT_PRODUCER",
    "DOCTYPE_SCAN_BYTES",
    "FeedInfo",
    "ParseResult",
    "build_article",
    "defuse_doctype",
    "feed_block",
    "fetched_at_string",
    "http_block",
    "parse_feed",
    "separate_repeats",
]

#: How far into the body the DOCTYPE pre-check looks (the prolog comes first in any XML document).
DOCTYPE_SCAN_BYTES = 64 * 1024
_DOCTYPE_SUBSET = re.compile(rb"(<!DOCTYPE[^\[>]*)\[(.*?)\]\s*>", re.S)
_ENTITY_DECL = re.compile(rb"<!ENTITY(.*?)>", re.S)
_UNSAFE_ENTITY = re.compile(rb"SYSTEM|PUBLIC|%|&(?!#)")


@dataclass(frozen=True)
class FeedInfo:
    """What the feed list says about a feed (the fields a RawArticle's ``feed`` carries)."""

    url: str
    name: str | None = None
    publisher: str | None = None
    language: str | None = None
    tags: tuple[str, ...] = ()


@dataclass
class ParseResult:
    """The articles of one feed document and what the parser noticed."""

    articles: list[dict[str, Any]]
    outcome: str  # "ok" | "parse_error"
    bozo: str | None = None  # the reason, when the document was not well-formed
    title: str | None = None
    ttl_minutes: int | None = None  # RSS <ttl>
    format: str = ""  # feedparser's version string (rss20, atom10, rss10, json11, ...)
    entries_seen: int = 0
    entries_skipped: int = 0  # entries with neither link nor guid (no identity)
    #: Entries whose mapping raised (one odd entry must not sink its feed); the first reasons are in notes.
    entries_bad: int = 0
    notes: list[str] = field(default_factory=list)

    @property
    def ttl_seconds(self) -> float | None:
        return None if self.ttl_minutes is None else self.ttl_minutes * 60.0


def defuse_doctype(body: bytes) -> tuple[bytes, str | None]:
    """Drop a DTD internal subset that declares dangerous entities; return (bytes, note or None).

    Simple internal entities (``<!ENTITY nbsp "&#160;">``) are kept: feedparser handles them. A
    subset with an external, parameter or nested entity goes, so the references stay unexpanded.
    """
    head = body[:DOCTYPE_SCAN_BYTES]
    if b"<!ENTITY" not in head:
        return body, None
    match = _DOCTYPE_SUBSET.search(head)
    if match is None:
        # An ENTITY declaration without a closed internal subset in the scanned prefix: cut the
        # DOCTYPE out wholesale up to the first root element.
        start = head.find(b"<!DOCTYPE")
        if start < 0:
            return body, None
        root = re.compile(rb"<(?![!?])").search(body, start + 9)
        end = root.start() if root else len(body)
        return body[:start] + body[end:], "doctype_removed: unterminated or oversized internal subset"
    subset = match.group(2)
    if not any(_UNSAFE_ENTITY.search(decl) for decl in _ENTITY_DECL.findall(subset)):
        return body, None
    cleaned = body[: match.start()] + match.group(1).rstrip() + b">" + body[match.end() :]
    return cleaned, "doctype_entities_removed: external, parameter or nested entity declarations"


def _text(value: Any) -> str | None:
    if value is None:
        return None
    text = str(value)
    return text


def _get(entry: Mapping[str, Any], key: str) -> Any:
    """``entry[key]`` or None, bypassing FeedParserDict's key aliases (``updated`` -> ``published``)."""
    return dict.get(entry, key) if isinstance(entry, dict) else entry.get(key)


def _date(entry: Mapping[str, Any], key: str) -> dict[str, Any] | None:
    raw = _get(entry, key)
    parsed = _get(entry, key + "_parsed")
    if raw is None and parsed is None:
        return None
    return {"raw": _text(raw), "utc": utc_string(parsed) if parsed else None}


def _authors(entry: Mapping[str, Any]) -> list[str]:
    names: list[str] = []
    for author in _get(entry, "authors") or ():
        if isinstance(author, Mapping):
            name = author.get("name") or author.get("email")
            if name and str(name) not in names:
                names.append(str(name))
    if not names:
        single = _get(entry, "author")
        if single:
            names.append(str(single))
    return names


def _tags(entry: Mapping[str, Any]) -> list[str]:
    tags: list[str] = []
    for tag in _get(entry, "tags") or ():
        if isinstance(tag, Mapping):
            term = tag.get("term") or tag.get("label")
            if term and str(term) not in tags:
                tags.append(str(term))
    return tags


def _enclosures(entry: Mapping[str, Any]) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    # FeedParserDict computes ``enclosures`` from ``links`` on access; read the links directly.
    for enc in _get(entry, "links") or ():
        if isinstance(enc, Mapping) and enc.get("rel") == "enclosure" and enc.get("href"):
            length = enc.get("length")
            out.append(
                {
                    "url": str(enc["href"]),
                    "type": _text(enc.get("type")) or None,
                    "length": length if isinstance(length, int | str) else None,
                }
            )
    return out


def _own_links(entry: Mapping[str, Any]) -> list[str]:
    """The entry's alternate and related links (where its own permalink may be)."""
    return [
        str(item["href"])
        for item in _get(entry, "links") or ()
        if isinstance(item, Mapping) and item.get("rel") in ("alternate", "related") and item.get("href")
    ]


def _content(entry: Mapping[str, Any]) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    for item in _get(entry, "content") or ():
        if isinstance(item, Mapping) and item.get("value") is not None:
            out.append(
                {
                    "type": _text(item.get("type")) or None,
                    "language": _text(item.get("language")) or None,
                    "value": str(item["value"]),
                }
            )
    return out


def _language(entry: Mapping[str, Any], content: list[dict[str, Any]]) -> str | None:
    for item in content:
        if item.get("language"):
            return str(item["language"])
    for key in ("summary_detail", "title_detail"):
        detail = _get(entry, key)
        if isinstance(detail, Mapping) and detail.get("language"):
            return str(detail["language"])
    return None


def parse_feed(
    body: bytes,
    *,
    url: str,
    headers: Mapping[str, str] | None = None,
    feed: Any = None,
    fetched_at: datetime | None = None,
    http: Mapping[str, Any] | None = None,
    producer: Mapping[str, str] | None = None,
) -> ParseResult:
    """Parse one RSS/Atom/RDF document into RawArticles.

    ``url`` is the feed's URL (scopes guid-based ids); ``headers`` the HTTP response headers (any
    case); ``feed`` anything with (or a mapping of) ``name``, ``publisher``, ``language``, ``tags``;
    ``http`` the fetch facts (``status``, ``final_url``, ``etag``, ``last_modified``).
    """
    notes: list[str] = []
    body, note = defuse_doctype(body)
    if note:
        notes.append(note)
    lowered = {str(k).lower(): str(v) for k, v in (headers or {}).items()}
    http_facts = http_block(http, url)
    if lowered:
        # Relative links resolve against the document's final URL, as a browser would. Only with
        # real response headers: any header without Content-Type makes feedparser flag the
        # document as NonXMLContentType (a file has no headers at all).
        lowered.setdefault("content-location", str(http_facts["final_url"] or url))
    # A BytesIO, never bytes: feedparser would try a bytes argument as a *file name* first.
    parsed = feedparser.parse(io.BytesIO(body), response_headers=lowered)
    bozo = None
    if parsed.get("bozo"):
        exc = parsed.get("bozo_exception")
        bozo = f"{type(exc).__name__}: {exc}" if exc is not None else "bozo"
    meta = parsed.get("feed") or {}
    title = _text(meta.get("title")) if isinstance(meta, Mapping) else None
    language = _text(meta.get("language")) if isinstance(meta, Mapping) else None
    ttl = None
    raw_ttl = meta.get("ttl") if isinstance(meta, Mapping) else None
    if raw_ttl is not None:
        try:
            ttl = max(0, int(str(raw_ttl).strip()))
        except ValueError:
            notes.append(f"ttl_ignored: {str(raw_ttl)[:40]!r}")
    feed_facts = feed_block(feed, url, title, language)
    site = _text(meta.get("link")) if isinstance(meta, Mapping) else None  # the feed's own site
    fetched = fetched_at_string(fetched_at)
    prod = producer or DEFAULT_PRODUCER
    articles: list[dict[str, Any]] = []
    entries = parsed.get("entries") or []
    skipped = bad = 0
    for index, entry in enumerate(entries):
        try:
            article = _entry_article(entry, url, feed_facts, fetched, http_facts, prod, site)
        except Exception as exc:  # noqa: BLE001 - skip and count this entry, keep the rest of the feed
            bad += 1
            if bad <= MAX_BAD_NOTES:
                notes.append(bad_entry_note(index, exc))
            continue
        if article is None:
            skipped += 1
        elif not has_text(article):
            bad += 1
            if bad <= MAX_BAD_NOTES:
                notes.append(EMPTY_NOTE.format(number=index + 1))
        else:
            articles.append(article)
    separate_repeats(articles, url)
    version = str(parsed.get("version") or "")
    if articles or (not bozo and version):
        outcome = "ok"  # an empty but well-formed feed is fine
    else:
        outcome = "parse_error"
    return ParseResult(
        articles=articles,
        outcome=outcome,
        bozo=bozo,
        title=title,
        ttl_minutes=ttl,
        format=version,
        entries_seen=len(entries),
        entries_skipped=skipped,
        entries_bad=bad,
        notes=notes,
    )


def _entry_article(
    entry: Mapping[str, Any],
    url: str,
    feed_facts: Mapping[str, Any],
    fetched: str,
    http_facts: Mapping[str, Any],
    prod: Mapping[str, str],
    site: str | None = None,
) -> dict[str, Any] | None:
    content = _content(entry)
    return build_article(
        guid=_text(_get(entry, "id")) or None,
        link=_text(_get(entry, "link")) or None,
        title=_text(_get(entry, "title")),
        summary=_text(_get(entry, "summary")),
        content=content,
        published=_date(entry, "published"),
        updated=_date(entry, "updated"),
        authors=_authors(entry),
        tags=_tags(entry),
        enclosures=_enclosures(entry),
        language=_language(entry, content),
        feed_url=url,
        feed={**feed_facts, "tags": list(feed_facts["tags"])},
        fetched_at=fetched,
        http=dict(http_facts),
        producer=prod,
        guid_is_permalink=bool(_get(entry, "guidislink")),
        links=_own_links(entry),
        site=site,
    )
