"""What the pages and the API show, built from store rows (no HTTP here, no HTML)."""

from __future__ import annotations

from typing import Any

import orjson

from consumers.archive.store import EVENT_TYPES, ArchiveStore, EventFilter
from web.diff import changed, find_span, highlight, text_diff, word_diff

#: Query parameters that form an EventFilter (same names in the page, the API, exports and feeds).
FILTER_PARAMS = ("type", "publisher", "language", "since", "until")


class BadRequest(ValueError):
    """A query parameter is malformed; the message says which."""


def event_filter(query: Any) -> EventFilter:
    """An EventFilter from query parameters (a mapping); BadRequest on an unknown type or bad date."""
    values = {name: (query.get(name) or "").strip()[:200] or None for name in FILTER_PARAMS}
    if values["type"] and values["type"] not in EVENT_TYPES:
        raise BadRequest(f"type must be one of {', '.join(EVENT_TYPES)}")
    for name in ("since", "until"):
        value = values[name]
        if value and not (len(value) >= 10 and value[:4].isdigit() and value[4] == "-" and value[7] == "-"):
            raise BadRequest(f"{name} must be an ISO date or time, e.g. 2026-11-30")
    return EventFilter(**values)


def filter_query(flt: EventFilter) -> dict[str, str]:
    return {name: value for name in FILTER_PARAMS if (value := getattr(flt, name))}


def event_json(row: dict[str, Any]) -> dict[str, Any]:
    """An events row as the API's JSON object (the diff parsed, source offsets dropped)."""
    out = {k: v for k, v in row.items() if k not in ("diff_json", "src_partition", "src_offset", "snippet")}
    out["diff"] = orjson.loads(row["diff_json"]) if row.get("diff_json") else None
    return out


def int_param(query: Any, name: str, default: int | None = None, low: int = 0, high: int = 10**12) -> int | None:
    value = query.get(name)
    if value in (None, ""):
        return default
    try:
        number = int(value)
    except ValueError:
        raise BadRequest(f"{name} must be an integer") from None
    if not low <= number <= high:
        raise BadRequest(f"{name} must be between {low} and {high}")
    return number


def article_page(store: ArchiveStore, article_id: str, query: Any) -> dict[str, Any] | None:
    """Everything the article page shows, or None when the archive has no such article."""
    article = store.article(article_id)
    if article is None:
        return None
    versions = store.versions(article_id)
    events = [event_json(e) for e in store.article_events(article_id)]
    current = int(article["current_version"])
    shown = int_param(query, "v", current, 1, current) or current
    to_v = int_param(query, "to", shown, 1, current) or shown
    from_v = int_param(query, "from", max(1, to_v - 1), 1, current) or 1
    by_version: dict[int, list[dict[str, Any]]] = {}
    for event in events:
        by_version.setdefault(int(event["version"]), []).append(event)
    text = store.version(article_id, shown) or {}
    body = str(text.get("body_text") or "")
    spans = []
    for event in by_version.get(shown, []):
        if event.get("notice_field") == "title":
            continue
        span = find_span(body, event.get("notice_text"), event.get("span_start"), event.get("span_end"))
        if span:
            spans.append((span[0], span[1], str(event["type"])))
    diff = None
    if from_v != to_v:
        a, b = store.version(article_id, from_v) or {}, store.version(article_id, to_v) or {}
        body_diff = text_diff(str(a.get("body_text") or ""), str(b.get("body_text") or ""))
        title_diff = word_diff(str(a.get("title") or ""), str(b.get("title") or ""))
        removed, added = changed([*title_diff, *body_diff])
        diff = {
            "from": from_v,
            "to": to_v,
            "title": title_diff,
            "body": body_diff,
            "words_removed": removed,
            "words_added": added,
        }
    refs = [e["ref_article_id"] for e in events if e.get("ref_article_id")]
    backlinks = [event_json(e) for e in store.referencing_events(article_id)]
    return {
        "article": article,
        "versions": versions,
        "events": events,
        "events_by_version": by_version,
        "shown": shown,
        "shown_title": text.get("title") or article["title"],
        "body": highlight(body, spans),
        "diff": diff,
        "ref_titles": store.titles(refs + [e["article_id"] for e in backlinks]),
        "backlinks": backlinks,
    }


def article_json(page: dict[str, Any]) -> dict[str, Any]:
    """The API form of :func:`article_page`."""
    return {
        "article": page["article"],
        "versions": page["versions"],
        "events": page["events"],
        "corrected_by": page["backlinks"],
    }
