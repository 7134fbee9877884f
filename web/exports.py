"""CSV and JSON Lines exports of an event filter, and the Atom feed of corrections (no HTTP here)."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable
from typing import Any

import orjson

from web.views import event_json

CSV_COLUMNS = (
    "seq", "event_id", "detected_at", "type", "article_id", "version", "title", "url", "publisher", "language",
    "method", "notice_text", "previous_version", "previous_title", "words_added", "words_removed", "ref_title",
    "ref_article_id", "ref_score",
)  # fmt: skip
_FORMULA = ("=", "+", "-", "@", "\t", "\r")
_XML_INVALID = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def _cell(value: Any) -> Any:
    # A cell starting with = + - @ is run as a formula by spreadsheets: feed text must stay text.
    if isinstance(value, str) and value.startswith(_FORMULA):
        return "'" + value
    return value


def csv_rows(rows: Iterable[dict[str, Any]], header: bool = False) -> bytes:
    """The rows as CSV lines (the header line first when ``header``), UTF-8."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    if header:
        writer.writerow(CSV_COLUMNS)
    for row in rows:
        writer.writerow([_cell(row.get(c)) for c in CSV_COLUMNS])
    return buffer.getvalue().encode()


def jsonl_rows(rows: Iterable[dict[str, Any]]) -> bytes:
    """The rows as JSON Lines, one API event object a line."""
    return b"".join(orjson.dumps(event_json(row)) + b"\n" for row in rows)


def xml_text(value: Any) -> str:
    """Text safe inside XML 1.0 (characters it forbids are dropped; escaping is the template's)."""
    return _XML_INVALID.sub("", "" if value is None else str(value))


def entry_summary(event: dict[str, Any]) -> str:
    """One line saying what the event is about."""
    parts = []
    if event.get("notice_text"):
        parts.append(str(event["notice_text"]))
    if event.get("previous_title") and event.get("previous_title") != event.get("title"):
        parts.append(f"Earlier headline: {event['previous_title']}")
    if event.get("words_added") is not None:
        parts.append(f"{event['words_added']} words added, {event.get('words_removed') or 0} removed")
    if event.get("ref_title"):
        parts.append(f"Corrects: {event['ref_title']}")
    return " — ".join(parts) or str(event["type"]).replace("_", " ")
