"""RawArticle messages (``schemas/raw-article.v1.json``) from what a parser read. Pure.

Shared by the RSS/Atom parser (:mod:`producers.parse`), the JSON Feed parser and producer plugins:
the ``feed`` and ``http`` blocks, the fetch time, the article id and the entry's fingerprint. The
entry's canonical URL is computed here once, for the id, and carried in ``entry.canonical_url`` so
the normalizer does not compute it again.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

from newsstream import __version__
from newsstream.canonical_url import article_id, canonical_url
from producers.fingerprint import fingerprint, utc_string
from producers.identity import identity

DEFAULT_PRODUCER = {"name": "rss", "version": __version__}
_HTTP = ("http://", "https://")


def _attr(feed: Any, name: str, default: Any = None) -> Any:
    if feed is None:
        return default
    if isinstance(feed, Mapping):
        return feed.get(name, default)
    return getattr(feed, name, default)


def feed_block(feed: Any, url: str, title: str | None, language: str | None) -> dict[str, Any]:
    """The RawArticle ``feed`` object: the feed list's facts, the document's title and language."""
    tags = _attr(feed, "tags", ()) or ()
    return {
        "url": url,
        "title": title,
        "publisher": _attr(feed, "publisher") or None,
        "language": _attr(feed, "language") or language or None,
        "name": _attr(feed, "name") or None,
        "tags": [str(t) for t in tags],
    }


def http_block(http: Mapping[str, Any] | None, url: str) -> dict[str, Any]:
    http = http or {}
    status = http.get("status")
    return {
        "status": status if isinstance(status, int) else None,
        "final_url": http.get("final_url") or url,
        "etag": http.get("etag") or None,
        "last_modified": http.get("last_modified") or None,
    }


def fetched_at_string(fetched_at: datetime | None) -> str:
    """The fetch time in UTC with its milliseconds (``…T03:04:05.123Z``; ``…T03:04:05Z`` when it
    has none): end-to-end latency is measured from it, and a second is too coarse for that."""
    moment = fetched_at or datetime.now(UTC)
    value = utc_string(moment)
    assert value is not None  # noqa: S101 - a datetime of today is always in range
    millis = moment.microsecond // 1000
    return f"{value[:-1]}.{millis:03d}Z" if millis else value


def build_article(
    *,
    guid: str | None,
    link: str | None,
    title: str | None,
    summary: str | None,
    content: list[dict[str, Any]],
    published: dict[str, Any] | None,
    updated: dict[str, Any] | None,
    authors: list[str],
    tags: list[str],
    enclosures: list[dict[str, Any]],
    language: str | None,
    feed_url: str,
    feed: dict[str, Any],
    fetched_at: str,
    http: dict[str, Any],
    producer: Mapping[str, str],
    source: str = "feed",
    guid_is_permalink: bool = False,
    links: Sequence[str] = (),
    site: str | None = None,
) -> dict[str, Any] | None:
    """A RawArticle dict, or None when the entry has neither link nor guid (no identity).

    The id rests on the entry's own permalink and keeps a fragment the feed uses to tell entries
    apart (:func:`producers.identity.identity`; ``links`` are the entry's other links, ``site`` the
    feed's own site). ``entry.canonical_url`` is the link's canonical form (http(s) links only)."""
    if not (link or guid):
        return None
    ident_url, keep_fragment = identity(link, guid, guid_is_permalink=guid_is_permalink, links=links, site=site)
    canonical = canonical_url(link) if link and link.strip().lower().startswith(_HTTP) else None
    ident_canonical = canonical if ident_url == link else None
    entry: dict[str, Any] = {
        "guid": guid,
        "link": link,
        "title": title,
        "summary": summary,
        "content": content,
        "published": published,
        "updated": updated,
        "authors": authors,
        "tags": tags,
        "enclosures": enclosures,
        "language": language,
        "fingerprint": fingerprint(
            title, link, summary, [c["value"] for c in content], updated["raw"] if updated else None
        ),
    }
    if canonical is not None:
        entry["canonical_url"] = canonical
    return {
        "article_id": article_id(ident_url, guid, feed_url, keep_fragment=keep_fragment, canonical=ident_canonical),
        "source": source,
        "feed": feed,
        "fetched_at": fetched_at,
        "http": http,
        "entry": entry,
        "producer": {"name": str(producer["name"]), "version": str(producer["version"])},
    }


def separate_repeats(articles: list[dict[str, Any]], feed_url: str) -> None:
    """Give a later entry of one document that repeats an earlier entry's id with other content
    an id of its own (the earlier id plus its published time or title): both are in the document at
    once, so one cannot be a new version of the other. scripting.com lists two posts of one minute
    under one guid; without this the detector reported one as a content change of the other."""
    seen: dict[str, str] = {}
    for article in articles:
        ident, entry = article["article_id"], article["entry"]
        first = seen.setdefault(ident, entry["fingerprint"])
        if first != entry["fingerprint"]:
            published = entry.get("published") or {}
            discriminator = published.get("raw") or entry.get("title") or entry["fingerprint"]
            article["article_id"] = article_id(None, f"{ident}\n{discriminator}", feed_url)
            seen.setdefault(article["article_id"], entry["fingerprint"])
