"""A page's extracted content to a RawArticle. Pure.

The extraction itself (:func:`articles.extract.extract`, shared with the normalizer) turns the page
into a :class:`~articles.extract.PageContent`; ``page_article`` / ``gone_article`` build the
RawArticle (``source: "page"``) with the *same* article id as the feed version, and a ``page``
block the normalizer carries to the detector: ``json_ld_correction`` (a schema.org correction
becomes a ``correction`` event) and ``gone`` (an ``unpublished`` event).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from articles.extract import PageContent
from newsstream import __version__
from producers.pages.schedule import PageEntry

PRODUCER = {"name": "pages", "version": __version__}
#: Bound of ``page.json_ld_correction`` (the schema's maxLength).
MAX_CORRECTIONS_CHARS = 5000


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
