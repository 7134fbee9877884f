"""Entry fingerprints and the small value helpers every parser shares (pure, no I/O).

A fingerprint is a hash over the fields that make a new *version* of an entry: title, link,
summary, content and the updated date. Anything else (tags, authors, enclosures, the fetch time)
may change without the entry counting as edited.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Iterable
from datetime import UTC, datetime

#: Fields hashed, in order. Changing this list changes every fingerprint (every entry re-emits once).
FINGERPRINT_FIELDS = ("title", "link", "summary", "content", "updated")


def fingerprint(
    title: str | None,
    link: str | None,
    summary: str | None,
    content: Iterable[str],
    updated: str | None,
) -> str:
    """32 hex chars of SHA-256 over the significant fields, each length-prefixed (no ambiguity)."""
    digest = hashlib.sha256()
    for part in (title, link, summary, *content, "\x00end-content", updated):
        if part is None:
            digest.update(b"-1:")
        else:
            data = part.encode("utf-8", "surrogatepass")
            digest.update(b"%d:" % len(data))
            digest.update(data)
    return digest.hexdigest()[:32]


def utc_string(value: datetime | time.struct_time | None) -> str | None:
    """``YYYY-MM-DDTHH:MM:SSZ`` for an aware datetime or a UTC struct_time; None when out of range."""
    if value is None:
        return None
    if isinstance(value, datetime):
        if value.tzinfo is not None:
            value = value.astimezone(UTC)
        year, month, day, hour, minute, second = (
            value.year, value.month, value.day, value.hour, value.minute, value.second,
        )  # fmt: skip
    else:
        year, month, day, hour, minute, second = value[:6]
    if not 1 <= year <= 9999:
        return None
    return f"{year:04d}-{month:02d}-{day:02d}T{hour:02d}:{minute:02d}:{min(second, 59):02d}Z"
