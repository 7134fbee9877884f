"""``normalize(raw) -> NormalizedArticle``: one RawArticle in, one NormalizedArticle out. Pure.

No Kafka, HTTP or metrics here; the stage adapter feeds it decoded messages and routes a
:class:`~newsstream.errors.TransformError` to the dead-letter topic. The output matches
``schemas/normalized-article.v1.json``.

Steps: pick the richest content (content:encoded / Atom content, the longest HTML one, over the
summary) -> paragraphs through the HTML parser (:mod:`consumers.html_text`), or, when the content
is a whole page (``<body>``, ``<nav>``, ``<header>``), through the pages producer's extractor
(:mod:`articles.extract`, body_html then built from its paragraphs) -> chrome removed
(:mod:`consumers.boilerplate`) -> dateline split off the first paragraph (:mod:`consumers.dateline`)
-> body_text; the same content sanitized with nh3 -> body_html; dates (:mod:`consumers.dates`);
canonical URL (a ``<link rel=canonical>`` in the content wins); content hash and simhash
(:mod:`consumers.simhash`).
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from datetime import UTC, datetime
from typing import Any

import nh3

from articles.extract import extract as extract_page
from consumers import boilerplate, dateline, dates, html_text, simhash
from consumers.versions import fingerprint, fingerprint_keys
from newsstream.canonical_url import article_id, canonical_url
from newsstream.errors import TransformError

_LANG = re.compile(r"^[A-Za-z]{1,8}(?:[-_][A-Za-z0-9]{1,8})*$")
_HTTP = ("http://", "https://")


#: body_html longer than this (characters) is dropped and ``body_html_omitted`` set; real articles
#: are far below it (the longest in the shared corpus is well under 100 KB).
MAX_BODY_HTML_CHARS = 1024 * 1024
#: Content with more "&" than this is not sanitized (nh3 takes quadratic time in them: 0.5 s for
#: 250,000, 8 s for 1,000,000, measured here) and its body_html is omitted.
MAX_HTML_AMPERSANDS = 50_000


def _str(value: Any) -> str | None:
    return value if isinstance(value, str) and value.strip() else None


def _choose_content(entry: dict[str, Any]) -> tuple[str, bool, str | None]:
    """(value, is_html, language) of the richest content: the longest content item, else summary."""
    best: dict[str, Any] | None = None
    for item in entry.get("content") or ():
        if isinstance(item, dict) and _str(item.get("value")):
            if best is None or len(item["value"]) > len(best["value"]):
                best = item
    if best is not None:
        value = best["value"]
        kind = (best.get("type") or "").lower()
        is_html = "html" in kind or html_text.looks_like_html(value)
        return value, is_html, _str(best.get("language"))
    summary = _str(entry.get("summary")) or ""
    return summary, html_text.looks_like_html(summary), None


def _language(*candidates: Any) -> str | None:
    for value in candidates:
        if isinstance(value, str):
            value = value.strip()
            if _LANG.match(value):
                primary, _, rest = value.replace("_", "-").partition("-")
                return primary.lower() + ("-" + rest if rest else "")
    return None


def _text_list(values: Any) -> list[str]:
    out: list[str] = []
    seen: set[str] = set()
    for value in values or ():
        if isinstance(value, str):
            text = html_text.inline_text(value)
            if text and text not in seen:
                seen.add(text)
                out.append(text)
    return out


def _summary_text(summary: str | None, title: str, publisher: str | None) -> str:
    if not summary:
        return ""
    if html_text.looks_like_html(summary):
        paras = html_text.paragraphs(summary)
    else:
        paras = html_text.text_paragraphs(summary)
    return "\n\n".join(boilerplate.clean(paras, title=title, publisher=publisher))


#: URL schemes kept in body_html; nh3's default list also allows tel:, sms:, magnet: and others.
SAFE_URL_SCHEMES = frozenset({"http", "https", "mailto"})


def sanitize_html(html: str, base_url: str | None = None) -> str:
    """``html`` made safe to embed: nh3's allow-list (no scripts, event handlers, javascript: URLs),
    only http/https/mailto links, and relative URLs resolved against the article's URL (or dropped
    without one), so a page embedding body_html never requests its own paths (``<img src=/logout>``)."""
    relative: Any = ("rewrite_with_base", base_url) if base_url else "deny"
    return nh3.clean(
        html, link_rel="noopener noreferrer nofollow", url_schemes=set(SAFE_URL_SCHEMES), url_relative=relative
    )


def content_hash(title: str, body_text: str) -> str:
    """SHA-256 (hex) over the normalized title and body, separated by a blank line."""
    return hashlib.sha256(f"{title}\n\n{body_text}".encode()).hexdigest()


def normalize(raw: dict[str, Any], *, now: datetime | None = None) -> dict[str, Any]:
    """The NormalizedArticle for one RawArticle.

    ``now`` is used only when the raw message has no readable ``fetched_at`` (it defaults to the
    current time then). Raises :class:`TransformError` when the message has no entry, or neither a
    title nor any text.
    """
    if not isinstance(raw, dict):
        raise TransformError(f"a RawArticle must be a JSON object, not {type(raw).__name__}")
    entry = raw.get("entry")
    if not isinstance(entry, dict):
        raise TransformError("RawArticle has no 'entry' object")
    feed: dict[str, Any] = raw["feed"] if isinstance(raw.get("feed"), dict) else {}
    http: dict[str, Any] = raw["http"] if isinstance(raw.get("http"), dict) else {}
    publisher = html_text.inline_text(_str(feed.get("publisher")) or _str(feed.get("title")) or "") or None
    feed_url = _str(feed.get("url"))

    title = html_text.inline_text(_str(entry.get("title")) or "")
    value, is_html, content_language = _choose_content(entry)
    link = _str(entry.get("link"))
    guid = _str(entry.get("guid"))
    url = next(
        (u.strip() for u in (link, _str(http.get("final_url")), guid) if u and u.strip().lower().startswith(_HTTP)),
        None,
    )

    canonical_in_content = None
    # An entity-heavy body grows ~5x when escaped (1.9 MB of "&" became 11 MB) and nh3's time grows
    # with the square of its "&"s (34 s for 1.9 MB): past either cap the HTML is dropped, flagged,
    # so the record stays under the producer's request cap and costs linear time (issue 14).
    html_omitted = len(value) > MAX_BODY_HTML_CHARS or value.count("&") > MAX_HTML_AMPERSANDS
    page_paras = _whole_page(value, url) if is_html and html_text.is_whole_page(value) else None
    if page_paras is not None:  # a whole page as content: the pages producer's extractor (issue 12)
        paras, canonical_in_content = page_paras, html_text.canonical_link(value, url)
        body_html = "" if html_omitted else "".join(f"<p>{_escape(p)}</p>" for p in paras)
    elif is_html:
        paras, canonical_in_content = html_text.extract(value, url)
        body_html = "" if html_omitted else sanitize_html(value, url)
    else:
        paras = html_text.text_paragraphs(value)
        body_html = "" if html_omitted else "".join(f"<p>{_escape(p)}</p>" for p in paras)
    if len(body_html) > MAX_BODY_HTML_CHARS:
        html_omitted, body_html = True, ""
    authors = _text_list(entry.get("authors"))
    paras = boilerplate.clean(paras, title=title, publisher=publisher, authors=authors)
    place = None
    if paras:
        place, first = dateline.split(paras[0])
        if place is not None:
            paras[0] = first
    body_text = "\n\n".join(paras)
    page = _page_block(raw)
    if not title and not body_text and not (page and page["gone"]):
        raise TransformError("entry has neither a title nor any body text")

    summary_raw = _str(entry.get("summary"))
    summary_text = body_text if summary_raw == value and not entry.get("content") else None
    if summary_text is None:
        summary_text = _summary_text(summary_raw, title, publisher)

    if canonical_in_content and canonical_in_content.lower().startswith(_HTTP):
        canonical: str | None = canonical_url(canonical_in_content)
    elif url is not None and url == (link or "").strip() and _str(entry.get("canonical_url")):
        canonical = entry["canonical_url"]  # the producer's, computed once for the article id
    else:
        canonical = canonical_url(url) if url else None
    ident = _str(raw.get("article_id"))
    if ident is None:
        try:
            ident = article_id(canonical or url, guid, feed_url)
        except ValueError as exc:
            raise TransformError(f"cannot derive an article id: {exc}") from None

    fetched_at = dates.utc_string({"utc": raw.get("fetched_at"), "raw": None})
    fetched_at_ms = dates.epoch_ms(raw.get("fetched_at")) if fetched_at is not None else None
    if fetched_at is None:
        fetched_at = dates.format_utc(now or datetime.now(UTC))
    published_at = dates.utc_string(entry.get("published")) or fetched_at
    updated_at = dates.utc_string(entry.get("updated")) or published_at

    title_words, body_words = simhash.tokens(title), simhash.tokens(body_text)
    article = {
        "id": ident,
        "source": raw.get("source") if raw.get("source") in ("feed", "page") else "feed",
        "url": url,
        "canonical_url": canonical,
        "publisher": publisher,
        "feed_url": feed_url,
        "title": title,
        "summary_text": summary_text,
        "body_text": body_text,
        "body_html": body_html,
        "authors": authors,
        "tags": _text_list(entry.get("tags")),
        "language": _language(entry.get("language"), content_language, feed.get("language")),
        "published_at": published_at,
        "updated_at": updated_at,
        "fetched_at": fetched_at,
        "content_hash": content_hash(title, body_text),
        # The one identity of this version (text modulo noise): the normalizer's repeat filter and
        # the detector's replay check both use it, so neither hashes the text again.
        "fingerprint": _fingerprint(title, body_text, title_words, body_words),
        "simhash": f"{simhash.simhash_tokens(title_words + body_words):016x}",
        "word_count": len(body_words),
        "dateline": place,
    }
    if fetched_at_ms is not None:
        article["fetched_at_ms"] = fetched_at_ms
    if html_omitted:
        article["body_html_omitted"] = True
    if page is not None:
        article["page"] = page
    return article


def _whole_page(value: str, url: str | None) -> list[str] | None:
    """The article paragraphs of a whole page given as feed content (menus, footers, related
    headlines and bios left out, notices kept), or None when the extractor finds no main text."""
    content = extract_page(value, url or "")
    if content is None:
        return None
    return [html_text.fold(p) for p in content.paragraphs]


#: Fields of a RawArticle's ``page`` block carried to the NormalizedArticle.
_PAGE_FIELDS = ("step", "status", "reason", "json_ld_correction", "date_modified")


def _page_block(raw: dict[str, Any]) -> dict[str, Any] | None:
    """The page revisit's findings (source page only), for the detector: gone, JSON-LD correction."""
    page = raw.get("page")
    if raw.get("source") != "page" or not isinstance(page, dict):
        return None
    out: dict[str, Any] = {"gone": page.get("gone") is True}
    for key in _PAGE_FIELDS:
        value = page.get(key)
        out[key] = value if isinstance(value, int | str) and not isinstance(value, bool) else None
    return out


def _fingerprint(title: str, body: str, title_words: list[str], body_words: list[str]) -> str:
    """versions.fingerprint(title, body), reusing the simhash tokens: compare_key(t) is the
    casefolded \\w+ words of NFKC(t), which are the tokens whenever t is already NFKC (nearly always;
    checking is a C call), so the text is not scanned a third time."""
    if unicodedata.is_normalized("NFKC", title) and unicodedata.is_normalized("NFKC", body):
        return fingerprint_keys(" ".join(title_words), " ".join(body_words))
    return fingerprint(title, body)


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
