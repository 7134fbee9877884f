"""Checks on one feed entry: is it usable, and how a skipped one is described (bounded notes).

Both parsers (``parse.py`` for RSS/Atom/RDF, ``jsonfeed.py``) skip an entry that has nothing to
say or whose mapping raises, count it as bad and keep the rest of the feed.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

MAX_BAD_NOTES = 3
EMPTY_NOTE = "bad entry #{number} skipped: neither a title nor any text (the normalizer could only dead-letter it)"


def has_text(article: Mapping[str, Any]) -> bool:
    """True when the entry says something: a title, a summary or any content."""
    entry = article["entry"]
    return bool(
        (entry.get("title") or "").strip()
        or (entry.get("summary") or "").strip()
        or any((c.get("value") or "").strip() for c in entry.get("content") or [])
    )


def bad_entry_note(index: int, exc: BaseException) -> str:
    """``bad entry #3 skipped: OverflowError: date value out of range`` (bounded)."""
    return f"bad entry #{index + 1} skipped: {type(exc).__name__}: {str(exc)[:200]}"
