"""Datelines at the start of an article's first paragraph.

Recognised shapes (the place is written in capitals; a region, state or date and a wire agency in
parentheses may follow; then a hyphen, en dash or em dash):

    ERBIL, Kurdistan Region - A pro-Iran Iraqi militia ...   -> "ERBIL, Kurdistan Region"
    WASHINGTON (AP) — The Senate ...                          -> "WASHINGTON (AP)"
    LONDON, Nov 5 (Reuters) - Britain's ...                   -> "LONDON, Nov 5 (Reuters)"
    SÃO PAULO — ...                                           -> "SÃO PAULO"

The dateline is the text before the dash, as written; the paragraph keeps what follows it. A
capitalised acronym followed by a dash that is not a place ("US - China talks") is not taken
when the text after the dash starts in lower case, and a place must have at least three letters.
"""

from __future__ import annotations

import re

_DATELINE = re.compile(
    r"(?P<place>[^\W\d_][^\W\d_ .'’\-]*(?:[ .'’\-]+[^\W\d_][^\W\d_.'’\-]*){0,3}\.?)"
    r"(?P<qual>(?:,\s*[\w.'’]+(?:\s+[\w.'’]+){0,3}){0,2})"
    r"(?P<agency>\s*\([\w .&/'’-]{1,30}\))?"
    r"\s*(?:[-–—]{1,2}|\u2015)\s+"
    r"(?=[\"“‘'\w])"
)
_MAX_DATELINE = 80


def split(paragraph: str) -> tuple[str | None, str]:
    """``(dateline, rest)`` of a first paragraph; ``(None, paragraph)`` when it has none."""
    match = _DATELINE.match(paragraph)
    if match is None or match.end() > _MAX_DATELINE:
        return None, paragraph
    place = match.group("place")
    letters = sum(c.isalpha() for c in place)
    if letters < 3 or not place.isupper():
        return None, paragraph
    rest = paragraph[match.end() :]
    if not rest or rest[0].islower():
        return None, paragraph
    dateline = paragraph[: match.end()].rstrip().rstrip("-–—\u2015").rstrip()
    return dateline, rest
