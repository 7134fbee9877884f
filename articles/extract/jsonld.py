"""schema.org JSON-LD of an article page: headline, dates and corrections. Pure.

Reads every ``<script type="application/ld+json">`` block (objects, arrays, ``@graph``), takes the
first object whose ``@type`` is an article type (``NewsArticle``, ``Article``, ``ReportageNewsArticle``,
``BlogPosting``, ``LiveBlogPosting``, ...), and from it ``headline``, ``datePublished``,
``dateModified``, ``correction`` and ``articleBody`` (a cross-check of the extracted text). A
correction is text or a ``CorrectionComment`` (its ``text``, else its ``description``), or a list
of either. Malformed blocks are skipped: many sites ship JSON-LD
with trailing commas or raw newlines in strings, and a page is still worth reading without it.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

#: Longest correction text kept (the CorrectionEvent's notice_text is bounded to 1,000 characters).
MAX_CORRECTION_CHARS = 1000


@dataclass(frozen=True)
class JsonLd:
    """What the article's JSON-LD says (every field None or empty when absent)."""

    headline: str | None = None
    date_published: str | None = None
    date_modified: str | None = None
    corrections: tuple[str, ...] = ()
    language: str | None = None
    authors: tuple[str, ...] = ()
    article_body: str | None = None


def _types(obj: dict[str, Any]) -> list[str]:
    value = obj.get("@type")
    values = value if isinstance(value, list) else [value]
    return [v.rsplit("/", 1)[-1] for v in values if isinstance(v, str)]


def _is_article(obj: dict[str, Any]) -> bool:
    return any(t.endswith("Article") or t in ("BlogPosting", "LiveBlogPosting", "Report") for t in _types(obj))


def _objects(value: Any) -> Iterator[dict[str, Any]]:
    """Every object at the top of a block, in ``@graph`` arrays, and one level of ``mainEntity``."""
    if isinstance(value, list):
        for item in value:
            yield from _objects(item)
    elif isinstance(value, dict):
        yield value
        graph = value.get("@graph")
        if graph is not None:
            yield from _objects(graph)
        main = value.get("mainEntity")
        if isinstance(main, dict | list):
            yield from _objects(main)


def _text(value: Any) -> str | None:
    if isinstance(value, str):
        text = " ".join(value.split())
        return text or None
    if isinstance(value, dict):
        return _text(value.get("@value") or value.get("text") or value.get("description") or value.get("name"))
    return None


def _corrections(value: Any) -> tuple[str, ...]:
    items = value if isinstance(value, list) else [value]
    out: list[str] = []
    for item in items:
        text = _text(item)
        if text and text not in out:
            out.append(text[:MAX_CORRECTION_CHARS])
    return tuple(out)


def _names(value: Any) -> tuple[str, ...]:
    items = value if isinstance(value, list) else [value]
    return tuple(t for t in (_text(i) for i in items) if t)


def _load(block: str) -> Any:
    try:
        return json.loads(block)
    except ValueError:
        try:  # raw control characters inside strings are the most common defect
            return json.loads(block, strict=False)
        except ValueError:
            return None


def parse_blocks(blocks: Iterable[str]) -> JsonLd | None:
    """The article found in the JSON-LD ``blocks`` (script texts), or None when there is none."""
    for block in blocks:
        for obj in _objects(_load(block.strip())):
            if not _is_article(obj):
                continue
            return JsonLd(
                headline=_text(obj.get("headline")) or _text(obj.get("name")),
                date_published=_text(obj.get("datePublished")),
                date_modified=_text(obj.get("dateModified")),
                corrections=_corrections(obj.get("correction")),
                language=_text(obj.get("inLanguage")),
                authors=_names(obj.get("author")),
                article_body=_text(obj.get("articleBody")),
            )
    return None
