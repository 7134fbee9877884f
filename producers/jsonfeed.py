"""The JSON Feed producer (https://jsonfeed.org/version/1.1, and 1.0), parsed with orjson.

Mapping to RawArticle: ``id`` -> guid, ``url`` (else ``external_url``) -> link, ``title``,
``summary``, ``content_html`` / ``content_text`` -> content (``text/html`` / ``text/plain``),
``date_published`` / ``date_modified`` -> published / updated, ``authors`` (1.1) or ``author``
(1.0) -> authors, ``tags``, ``attachments`` -> enclosures, ``language`` (item, else feed).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

import orjson

from producers.base import HttpProducer
from producers.entry_checks import EMPTY_NOTE, MAX_BAD_NOTES, bad_entry_note, has_text
from producers.feeds import FeedConfig
from producers.fingerprint import utc_string
from producers.parse import ParseResult, parse_feed
from producers.raw_article import build_article, feed_block, fetched_at_string, http_block
from producers.sniff import HTML_ERROR, mismatch_note, sniff, unknown_hint

VERSION_PREFIX = "https://jsonfeed.org/version/"


def _str(value: Any) -> str | None:
    if value is None or isinstance(value, dict | list):
        return None
    return str(value)


def _date(value: Any) -> dict[str, Any] | None:
    raw = _str(value)
    if raw is None:
        return None
    try:
        parsed: datetime | None = datetime.fromisoformat(raw.strip())
    except ValueError:
        parsed = None
    if parsed is not None and parsed.tzinfo is None:
        parsed = None  # RFC 3339 requires an offset; a naive time's zone is unknown
    return {"raw": raw, "utc": utc_string(parsed)}


def _authors(item: Mapping[str, Any], top: Mapping[str, Any]) -> list[str]:
    found = item.get("authors") or ([item["author"]] if isinstance(item.get("author"), dict) else None)
    if not found:
        found = top.get("authors") or ([top["author"]] if isinstance(top.get("author"), dict) else [])
    names: list[str] = []
    for author in found if isinstance(found, list) else []:
        if isinstance(author, dict):
            name = _str(author.get("name")) or _str(author.get("url"))
            if name and name not in names:
                names.append(name)
    return names


def parse_json_feed(
    body: bytes,
    *,
    url: str,
    headers: Mapping[str, str] | None = None,
    feed: Any = None,
    fetched_at: datetime | None = None,
    http: Mapping[str, Any] | None = None,
    producer: Mapping[str, str] | None = None,
) -> ParseResult:
    """Parse one JSON Feed document into RawArticles (same contract as ``parse_feed``)."""
    try:
        document = orjson.loads(body.removeprefix(b"\xef\xbb\xbf"))
    except orjson.JSONDecodeError as exc:
        return ParseResult(articles=[], outcome="parse_error", bozo=f"JSONDecodeError: {exc}")
    if not isinstance(document, dict) or not isinstance(document.get("items"), list):
        return ParseResult(articles=[], outcome="parse_error", bozo="not a JSON Feed: no 'items' array")
    version = _str(document.get("version")) or ""
    bozo = None if version.startswith(VERSION_PREFIX) else f"unexpected JSON Feed version {version[:60]!r}"
    fmt = "json" + version.removeprefix(VERSION_PREFIX).replace(".", "") if version.startswith(VERSION_PREFIX) else ""
    title = _str(document.get("title"))
    feed_facts = feed_block(feed, url, title, _str(document.get("language")))
    fetched = fetched_at_string(fetched_at)
    http_facts = http_block(http, url)
    prod = producer or {"name": JsonFeedProducer.name, "version": JsonFeedProducer.version}
    articles: list[dict[str, Any]] = []
    skipped = 0
    items = document["items"]
    notes: list[str] = []
    bad = 0
    for index, item in enumerate(items):
        if not isinstance(item, dict):
            skipped += 1
            continue
        try:
            article = _item_article(item, document, url, feed_facts, fetched, http_facts, prod)
        except Exception as exc:  # noqa: BLE001 - skip and count this item, keep the rest of the feed
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
    return ParseResult(
        articles=articles,
        outcome="ok" if articles or bozo is None else "parse_error",
        bozo=bozo,
        title=title,
        format=fmt,
        entries_seen=len(items),
        entries_skipped=skipped,
        entries_bad=bad,
        notes=notes,
    )


def _item_article(
    item: dict[str, Any],
    document: Mapping[str, Any],
    url: str,
    feed_facts: Mapping[str, Any],
    fetched: str,
    http_facts: Mapping[str, Any],
    prod: Mapping[str, str],
) -> dict[str, Any] | None:
    content = []
    if isinstance(item.get("content_html"), str):
        content.append({"type": "text/html", "language": None, "value": item["content_html"]})
    if isinstance(item.get("content_text"), str):
        content.append({"type": "text/plain", "language": None, "value": item["content_text"]})
    enclosures = [
        {
            "url": str(a["url"]),
            "type": _str(a.get("mime_type")),
            "length": a.get("size_in_bytes") if isinstance(a.get("size_in_bytes"), int) else None,
        }
        for a in item.get("attachments") or []
        if isinstance(a, dict) and isinstance(a.get("url"), str)
    ]
    tags = [str(t) for t in item.get("tags") or [] if isinstance(t, str | int)]
    return build_article(
        guid=_str(item.get("id")) or None,
        link=_str(item.get("url")) or _str(item.get("external_url")) or None,
        title=_str(item.get("title")),
        summary=_str(item.get("summary")),
        content=content,
        published=_date(item.get("date_published")),
        updated=_date(item.get("date_modified")),
        authors=_authors(item, document),
        tags=tags,
        enclosures=enclosures,
        language=_str(item.get("language")),
        feed_url=url,
        feed={**feed_facts, "tags": list(feed_facts["tags"])},
        fetched_at=fetched,
        http=dict(http_facts),
        producer=prod,
    )


class JsonFeedProducer(HttpProducer):
    """JSON Feed 1.0 and 1.1 (``type = "jsonfeed"``); an RSS, Atom or RDF document is parsed as
    such, with a note naming the ``type`` to set."""

    name = "jsonfeed"

    def parse(
        self,
        body: bytes,
        *,
        url: str,
        headers: Mapping[str, str],
        feed: FeedConfig,
        fetched_at: datetime,
        http: Mapping[str, Any],
    ) -> ParseResult:
        kind = sniff(body)
        if kind == "html":
            return ParseResult(articles=[], outcome="parse_error", bozo=HTML_ERROR)
        if kind in ("rss", "atom", "rdf"):
            result = parse_feed(
                body, url=url, headers=headers, feed=feed, fetched_at=fetched_at, http=http, producer=self.producer_info
            )
            result.notes.append(mismatch_note(self.name, kind))
            return result
        result = parse_json_feed(
            body, url=url, headers=headers, feed=feed, fetched_at=fetched_at, http=http, producer=self.producer_info
        )
        if kind is None and result.outcome != "ok":
            result.bozo = (result.bozo or "not a feed") + unknown_hint(body)
        return result
