"""An article page's headline, paragraphs and metadata: trafilatura plus JSON-LD. Pure."""

from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass
from typing import Any

import trafilatura
from trafilatura.utils import load_html

from articles.extract.clean import clean, cross_check
from articles.extract.jsonld import JsonLd, parse_blocks
from articles.extract.rescue import candidates, position_of, rescue
from articles.extract.siblings import missing_chunks

#: trafilatura logs every page it finds no content in at WARNING; that is our metric's job.
logging.getLogger("trafilatura").setLevel(logging.ERROR)
#: A first pass that keeps less than this share of the page's prose paragraphs is implausibly short.
#: Measured: it fires on 3 of the 181 benchmark pages (one, a full article cut to a reprint-rights
#: line, goes from F1 0 to 0.86) and on none of 377 pages built from the real feeds' full-text entries.
PLAUSIBLE_SHARE = 0.25
#: A ``<p>`` this long is prose (shorter ones are captions, labels, bylines).
_PROSE_CHARS = 100
_OUTSIDE_ARTICLE = "ancestor::nav|ancestor::header|ancestor::footer|ancestor::aside"


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
    #: Notice blocks found outside the extracted body and kept in ``paragraphs`` (top or bottom).
    rescued: tuple[str, ...] = ()

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


def _page_text_chars(tree: Any) -> int:
    """Characters in the page's prose paragraphs (``<p>`` of 100+ characters outside nav, header,
    footer and asides): what a plausible article body is measured against."""
    total = 0
    for para in tree.iter("p"):
        text = para.text_content()
        if len(text) >= _PROSE_CHARS and not para.xpath(_OUTSIDE_ARTICLE):
            total += len(" ".join(text.split()))
    return total


def _run(tree: Any, url: str, *, precision: bool) -> Any:
    return trafilatura.bare_extraction(
        tree, url=url, with_metadata=True, include_comments=False, include_tables=True, favor_precision=precision
    )


def _text(doc: Any) -> str:
    return (getattr(doc, "text", None) or "") if doc is not None else ""


def extract(body: bytes | str, url: str) -> PageContent | None:
    """The page's headline, paragraphs and metadata; None when no main text was found.

    trafilatura runs precision-first (page chrome and comment threads are what a diff must not
    see), tables kept (a table is often the article). When that text is implausibly short for the
    page (under :data:`PLAUSIBLE_SHARE` of its prose paragraphs, or empty), a second, default
    (recall-oriented) pass runs on a fresh copy of the tree and wins when it finds more.
    """
    tree = load_html(body)
    if tree is None:
        return None
    json_ld = parse_blocks(_json_ld_blocks(tree))
    prose = _page_text_chars(tree)
    outside = candidates(tree)  # before extraction: trafilatura may prune the tree it is given
    doc = _run(tree, url, precision=True)
    text = _text(doc)
    if len(text) < PLAUSIBLE_SHARE * prose or not text:
        second = _run(load_html(body), url, precision=False)  # a fresh tree: trafilatura prunes its input
        if len(_text(second)) > len(text):
            doc, text = second, _text(second)
    if not text:
        return None
    title = (json_ld.headline if json_ld else None) or getattr(doc, "title", None)
    paragraphs = [" ".join(line.split()) for line in text.split("\n")]
    paragraphs = clean([p for p in paragraphs if p], (title, getattr(doc, "title", None)))
    paragraphs = cross_check(paragraphs, json_ld.article_body if json_ld else None)
    if not paragraphs:
        return None
    before, after = missing_chunks(tree, paragraphs)
    paragraphs = before + paragraphs + after
    first = position_of(tree, paragraphs[0]) if outside else None
    paragraphs, rescued = rescue(paragraphs, outside, first, title or "")
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
        rescued=tuple(rescued),
    )
