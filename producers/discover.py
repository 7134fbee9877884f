"""Feed discovery: from a URL a person has (a site's home page, an article, a feed) to feed-list entries.

An HTML page names its feeds with ``<link rel="alternate" type="application/rss+xml" href=…>``
(Atom and JSON Feed likewise); each one is fetched through the same Fetcher as the producer (so the
SSRF guard applies), sniffed and parsed, and only feeds that parse become entries, with the name
(the feed's title), the publisher (the page's ``og:site_name``, else the site's host) and the
language (the feed's, else the page's ``<html lang>``) filled in.
"""

from __future__ import annotations

import html.parser
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urljoin, urlsplit

from producers.feeds import FeedConfig
from producers.sniff import TYPE_FOR, sniff

FEED_TYPES = {
    "application/rss+xml": "rss",
    "application/atom+xml": "rss",
    "application/rdf+xml": "rss",
    "application/feed+json": "jsonfeed",
    "application/json": "jsonfeed",
}
MAX_CANDIDATES = 10


@dataclass
class PageFacts:
    """What an HTML page says about itself and its feeds."""

    title: str | None = None
    site_name: str | None = None
    language: str | None = None
    #: (absolute URL, declared type, link title) of every feed link, in page order, no repeats.
    feeds: list[tuple[str, str, str | None]] = field(default_factory=list)


class _PageParser(html.parser.HTMLParser):
    def __init__(self, base_url: str) -> None:
        super().__init__(convert_charrefs=True)
        self.base_url = base_url
        self.facts = PageFacts()
        self._in_title = False
        self._title: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k.lower(): (v or "").strip() for k, v in attrs}
        if tag == "html" and a.get("lang"):
            self.facts.language = a["lang"]
        elif tag == "base" and a.get("href"):
            self.base_url = urljoin(self.base_url, a["href"])
        elif tag == "title":
            self._in_title = True
        elif tag == "meta" and a.get("property", a.get("name", "")).lower() == "og:site_name" and a.get("content"):
            self.facts.site_name = a["content"]
        elif tag == "link" and "alternate" in a.get("rel", "").lower().split():
            kind = FEED_TYPES.get(a.get("type", "").split(";")[0].lower())
            href = a.get("href")
            if kind and href:
                url = urljoin(self.base_url, href)
                if urlsplit(url).scheme in ("http", "https") and all(url != f[0] for f in self.facts.feeds):
                    self.facts.feeds.append((url, kind, a.get("title") or None))

    def handle_endtag(self, tag: str) -> None:
        if tag == "title":
            self._in_title = False
            self.facts.title = " ".join("".join(self._title).split()) or None

    def handle_data(self, data: str) -> None:
        if self._in_title:
            self._title.append(data)


def page_facts(body: bytes, base_url: str) -> PageFacts:
    """Title, site name, language and feed links of an HTML page (pure; decoding errors replaced)."""
    parser = _PageParser(base_url)
    parser.feed(body[:2_000_000].decode("utf-8", "replace"))
    parser.close()
    return parser.facts


def publisher_for(url: str, page: PageFacts | None) -> str:
    """The page's ``og:site_name``, else the site's host without ``www.``."""
    if page is not None and page.site_name:
        return page.site_name
    return (urlsplit(url).hostname or url).removeprefix("www.")


@dataclass
class Discovered:
    """One feed found and parsed, or a candidate that failed (``error`` set)."""

    url: str
    type: str
    title: str | None = None
    language: str | None = None
    entries: int = 0
    error: str | None = None


def parse_candidate(url: str, body: bytes, headers: Mapping[str, str], registry: Any) -> Discovered:
    """Sniff and parse a fetched candidate with the producer its content calls for."""
    kind = sniff(body)
    if kind is None or kind == "html":
        return Discovered(url, "rss", error="not a feed (RSS, Atom, RDF or JSON Feed)")
    type_name = TYPE_FOR[kind]
    parsed = registry.get(type_name).parse(
        body,
        url=url,
        headers=headers,
        feed=FeedConfig(url=url, name=url, type=type_name),
        fetched_at=datetime.now(UTC),
        http={"status": 200, "final_url": url, "etag": None, "last_modified": None},
    )
    if parsed.outcome != "ok":
        return Discovered(url, type_name, error=parsed.bozo or "does not parse")
    language = next((a["feed"].get("language") for a in parsed.articles if a["feed"].get("language")), None)
    return Discovered(url, type_name, title=parsed.title, language=language, entries=len(parsed.articles))


async def discover(url: str, fetcher: Any, registry: Any) -> tuple[list[Discovered], PageFacts | None]:
    """Every feed ``url`` is or links to, parsed; the page's facts when it was an HTML page."""
    first = await fetcher.fetch(url)
    if first.outcome != "ok":
        return [Discovered(url, "rss", error=f"{first.outcome}: {first.error}")], None
    body = first.body or b""
    final = first.final_url or url
    if sniff(body) != "html":
        return [parse_candidate(final, body, first.headers, registry)], None
    page = page_facts(body, final)
    found = []
    for candidate, _declared, _title in page.feeds[:MAX_CANDIDATES]:
        fetched = await fetcher.fetch(candidate)
        if fetched.outcome != "ok":
            found.append(Discovered(candidate, "rss", error=f"{fetched.outcome}: {fetched.error}"))
            continue
        found.append(parse_candidate(fetched.final_url or candidate, fetched.body or b"", fetched.headers, registry))
    return found, page


def feed_config(found: Discovered, page: PageFacts | None, name: str | None, publisher: str | None) -> FeedConfig:
    """The feed-list entry for a discovered feed (flags win over what was discovered)."""
    return FeedConfig(
        url=found.url,
        name=name or found.title or (page.title if page else None) or urlsplit(found.url).hostname or found.url,
        publisher=publisher or publisher_for(found.url, page),
        language=found.language or (page.language if page else None),
        type=found.type,
    )
