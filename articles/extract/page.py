"""An article page's headline, paragraphs and metadata: trafilatura plus JSON-LD. Pure."""

from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass
from typing import Any

import trafilatura
from trafilatura.utils import load_html

from articles.extract.jsonld import JsonLd, parse_blocks

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
