"""Text keys and sentence spans shared by the notice detector and the version differ (pure)."""

from __future__ import annotations

import re
import unicodedata

_NON_WORD = re.compile(r"[^\w]+", re.UNICODE)
# A sentence ends after . ! ? … (plus closing quotes/brackets) and whitespace, or at a line break.
_BOUNDARY = re.compile(r"[.!?…]+[\"'”’»)\]]*\s+|\n\s*")


def compare_key(text: str) -> str:
    """The text without case, quote style, punctuation or whitespace differences (words, one space)."""
    # quotes are non-word characters: "don’t" and "don't" both become "don t"
    return " ".join(_NON_WORD.sub(" ", unicodedata.normalize("NFKC", text).casefold()).split())


def split_sentences(text: str) -> list[tuple[int, int]]:
    """``(start, end)`` spans of sentences (stripped, non-empty) in ``text``."""
    spans: list[tuple[int, int]] = []
    start = 0
    for m in _BOUNDARY.finditer(text):
        end = m.end()
        _add_span(text, start, end, spans)
        start = end
    _add_span(text, start, len(text), spans)
    return spans


def _add_span(text: str, start: int, end: int, spans: list[tuple[int, int]]) -> None:
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    if end > start:
        spans.append((start, end))
