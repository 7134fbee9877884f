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
Kicker labels and notice words ("INTERVIEW - ...", "UPDATE - ...") are listed in
:data:`NOT_PLACES` and never taken.
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
#: Capitalised labels that open a paragraph like a place but are kickers or notices, never places
#: ("INTERVIEW - ...", "UPDATE - ..."; a notice must stay in the text for the detector).
NOT_PLACES = frozenset(
    {
        "ANALYSIS", "BREAKING", "BREAKING NEWS", "CLARIFICATION", "COMMENT", "CORRECTION", "CRITIQUE",
        "CROSSWORD", "DISPARITION", "DOSSIER", "EDITORIAL", "EXCLUSIF", "EXCLUSIVE", "FACT CHECK", "FEATURE",
        "INTERVIEW", "LE LIVE", "LIVE", "NOTE", "OPINION", "PHOTOS", "PODCAST", "PORTRAIT", "QUIZ",
        "RETRACTION", "REVIEW", "TRIBUNE", "UPDATE", "UPDATED", "VIDEO", "VIDEOS", "WARNING", "WATCH",
        "ÉDITORIAL", "ENTRETIEN", "REPORTAGE", "JEU-CONCOURS", "LONG FORMAT", "AVANT-PREMIÈRE", "ENCHÈRES",
        "EILMELDUNG", "KOMMENTAR", "ÚLTIMA HORA", "AO VIVO", "EN DIRECT",
    }
)  # fmt: skip


def split(paragraph: str) -> tuple[str | None, str]:
    """``(dateline, rest)`` of a first paragraph; ``(None, paragraph)`` when it has none."""
    match = _DATELINE.match(paragraph)
    if match is None or match.end() > _MAX_DATELINE:
        return None, paragraph
    place = match.group("place")
    letters = sum(c.isalpha() for c in place)
    if letters < 3 or not place.isupper() or place.rstrip(".") in NOT_PLACES:
        return None, paragraph
    rest = paragraph[match.end() :]
    if not rest or rest[0].islower():
        return None, paragraph
    dateline = paragraph[: match.end()].rstrip().rstrip("-–—\u2015").rstrip()
    return dateline, rest
