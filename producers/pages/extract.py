"""An article page to a RawArticle: trafilatura for the main text and metadata, plus JSON-LD. Pure.

``extract(body, url)`` parses the HTML once (trafilatura's loader, which handles the declared
encoding), reads the JSON-LD blocks before trafilatura prunes the tree, then runs trafilatura's
main-content extraction (comments excluded, precision over recall: page chrome and comment
threads are what a diff must not see). The headline is the JSON-LD ``headline``, else trafilatura's
title; a first paragraph repeating the headline (the page's ``<h1>``) is dropped.

``page_article`` / ``gone_article`` build the RawArticle (``source: "page"``) with the *same*
article id as the feed version, and a ``page`` block the normalizer carries to the detector:
``json_ld_correction`` (a schema.org correction becomes a ``correction`` event) and ``gone`` (an
``unpublished`` event).
"""

from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import trafilatura
from trafilatura.utils import load_html

from newsstream import __version__
from producers.pages.jsonld import JsonLd, parse_blocks
from producers.pages.schedule import PageEntry

PRODUCER = {"name": "pages", "version": __version__}
#: Bound of ``page.json_ld_correction`` (the schema's maxLength).
MAX_CORRECTIONS_CHARS = 5000
#: trafilatura logs every page it finds no content in at WARNING; that is our metric's job.
logging.getLogger("trafilatura").setLevel(logging.ERROR)


@dataclass(frozen=True)
class PageContent:
    """What an article page says now."""

    title: str | None
    paragraphs: tuple[str, ...]
    authors: tuple[str, ...]
    date_published: str | None
    date_modified: str | None
    language: str | None
    json_ld: JsonLd | None

    @property
    def corrections(self) -> tuple[str, ...]:
        return self.json_ld.corrections if self.json_ld is not None else ()

    def fingerprint(self) -> int:
        """64-bit hash of what makes a new version: headline, text, JSON-LD corrections."""
        digest = hashlib.blake2b(digest_size=8)
        for part in (self.title or "", *self.paragraphs, "\x00", *self.corrections):
            digest.update(part.encode("utf-8", "surrogatepass") + b"\x1f")
        return int.from_bytes(digest.digest(), "big")


def _json_ld_blocks(tree: Any) -> list[str]:
    return [s.text or "" for s in tree.xpath('//script[@type="application/ld+json"]')]


def extract(body: bytes | str, url: str) -> PageContent | None:
    """The page's headline, paragraphs and metadata; None when no main text was found."""
    tree = load_html(body)
    if tree is None:
        return None
    json_ld = parse_blocks(_json_ld_blocks(tree))
    doc = trafilatura.bare_extraction(
        tree, url=url, with_metadata=True, include_comments=False, include_tables=False, favor_precision=True
    )
    text = getattr(doc, "text", None) if doc is not None else None
    if not text:
        return None
    title = (json_ld.headline if json_ld else None) or getattr(doc, "title", None)
    paragraphs = [" ".join(line.split()) for line in text.split("\n")]
    paragraphs = [p for p in paragraphs if p]
    if paragraphs and title and paragraphs[0].casefold() == " ".join(title.split()).casefold():
        paragraphs = paragraphs[1:]
    if not paragraphs:
        return None
    author = getattr(doc, "author", None)
    authors = json_ld.authors if json_ld and json_ld.authors else ()
    if not authors:
        authors = tuple(a.strip() for a in (author or "").split(";") if a.strip())
    return PageContent(
        title=title,
        paragraphs=tuple(paragraphs),
        authors=authors,
        date_published=(json_ld.date_published if json_ld else None) or getattr(doc, "date", None),
        date_modified=json_ld.date_modified if json_ld else None,
        language=(json_ld.language if json_ld else None) or getattr(doc, "language", None),
        json_ld=json_ld,
    )


def _date(raw: str | None) -> dict[str, Any] | None:
    """A RawArticle date ({raw, utc}) from an ISO 8601 date or time; zone-less is taken as UTC."""
    if not raw:
        return None
    try:
        moment = datetime.fromisoformat(raw.strip().replace("Z", "+00:00"))
    except ValueError:
        return {"raw": raw, "utc": None}
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    moment = moment.astimezone(UTC)
    if not 1 <= moment.year <= 9999:
        return {"raw": raw, "utc": None}
    return {"raw": raw, "utc": moment.strftime("%Y-%m-%dT%H:%M:%SZ")}


def _http(status: int | None, final_url: str | None, etag: str | None, last_modified: str | None) -> dict[str, Any]:
    return {"status": status, "final_url": final_url, "etag": etag, "last_modified": last_modified}


def _base(entry: PageEntry, fetched_at: str, http: dict[str, Any], entry_block: dict[str, Any]) -> dict[str, Any]:
    return {
        "article_id": entry.article_id,
        "source": "page",
        "feed": {"url": entry.feed_url or entry.url, "title": None, "publisher": entry.publisher},
        "fetched_at": fetched_at,
        "http": http,
        "entry": entry_block,
        "producer": dict(PRODUCER),
    }


def page_article(
    entry: PageEntry,
    content: PageContent,
    *,
    fetched_at: str,
    status: int | None,
    final_url: str | None,
    etag: str | None = None,
    last_modified: str | None = None,
) -> dict[str, Any]:
    """The RawArticle for a page version (same article id as the feed's)."""
    text = "\n\n".join(content.paragraphs)
    updated = _date(content.date_modified)
    entry_block = {
        "guid": None,
        "link": entry.url,
        "title": content.title,
        "summary": None,
        "content": [{"type": "text/plain", "language": content.language, "value": text}],
        "published": _date(content.date_published),
        "updated": updated,
        "authors": list(content.authors),
        "tags": [],
        "enclosures": [],
        "language": content.language,
        "fingerprint": f"{content.fingerprint():016x}",
    }
    article = _base(entry, fetched_at, _http(status, final_url, etag, last_modified), entry_block)
    article["page"] = {
        "step": entry.step,
        "status": status,
        "gone": False,
        "reason": None,
        "json_ld_headline": content.json_ld.headline if content.json_ld else None,
        "json_ld_correction": "\n\n".join(content.corrections)[:MAX_CORRECTIONS_CHARS] or None,
        "date_modified": content.date_modified,
    }
    return article


def gone_article(
    entry: PageEntry, *, fetched_at: str, status: int | None, final_url: str | None, reason: str
) -> dict[str, Any]:
    """The RawArticle saying the page is gone: no text, ``page.gone`` set (an ``unpublished`` event)."""
    entry_block: dict[str, Any] = {
        "guid": None, "link": entry.url, "title": None, "summary": None, "content": [], "published": None,
        "updated": None, "authors": [], "tags": [], "enclosures": [], "language": None,
        "fingerprint": f"gone:{reason}",
    }  # fmt: skip
    article = _base(entry, fetched_at, _http(status, final_url, None, None), entry_block)
    article["page"] = {
        "step": entry.step, "status": status, "gone": True, "reason": reason,
        "json_ld_headline": None, "json_ld_correction": None, "date_modified": None,
    }  # fmt: skip
    return article
