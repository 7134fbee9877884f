"""Time-stamp lines after an "Updated"/"Published" label: page chrome, never a notice. Pure.

"Updated 5:27 am CST, Wednesday November 20, 2019", "updated: Nov 20 2019, 15:24pm ist",
"Updated 0339 GMT (1139 HKT) November 19, 2019", "Published 16m ago", "Last updated on 05-11-2023"
are what a CMS prints beside the byline. After the label, every word must be part of a date or a
time: a number, a month or weekday name, am/pm, a zone abbreviation (any, written in capitals, or a
known one in lower case), a relative time ("16m ago", "2 hours ago"), or a joiner ("at", "on",
"|"). A single other word ("Updated at 8:35 pm *with the correction*") makes it a real notice.
"""

from __future__ import annotations

import re

_LABEL = re.compile(
    r"^\W*(?:last\s+)?(?:updated|update|published|posted|modified|edited|first\s+published|created)"
    r"(?:\s+(?:on|at))?\s*[:\-–—|]?\s*",
    re.IGNORECASE,
)
#: The label after a leading date ("…2019Updated: …"): no word boundary before it, on purpose.
_LABEL_INSIDE = re.compile(
    r"(?:last\s+)?(?:updated|published|posted|modified)(?:\s+(?:on|at))?\s*[:\-–—|]\s*", re.IGNORECASE
)
_TOKEN = re.compile(r"[^\W_]+(?:\.[^\W_]+)*\.?", re.UNICODE)
_MONTHS = (
    "january february march april may june july august september october november december "
    "jan feb mar apr jun jul aug sep sept oct nov dec"
)
_DAYS = "monday tuesday wednesday thursday friday saturday sunday mon tue tues wed thu thur thurs fri sat sun"
_ZONES = (
    "utc gmt z bst ist cet cest eet eest wet west est edt cst cdt mst mdt pst pdt akst akdt hst aest aedt "
    "acst acdt awst nzst nzdt jst kst hkt sgt pht wib wita wit msk sast cat eat wat ict brt art et ct mt pt"
)
_RELATIVE = (
    "ago just now today yesterday min mins minute minutes hr hrs hour hours day days week weeks sec secs "
    "second seconds m h d s"
)
_JOINERS = "at on am pm a.m. p.m. a.m p.m the of"
ALLOWED = frozenset(f"{_MONTHS} {_DAYS} {_ZONES} {_RELATIVE} {_JOINERS}".split())
_MAX_CHARS = 120
_TAIL = re.compile(r" \| |;")


def _stamp_word(word: str) -> bool:
    if any(ch.isdigit() for ch in word):
        return True
    if word.casefold() in ALLOWED or word.casefold().rstrip(".") in ALLOWED:
        return True
    return 2 <= len(word) <= 5 and word.isupper()  # a zone abbreviation written in capitals


def is_timestamp(text: str) -> bool:
    """True when ``text`` is a labelled time stamp and nothing else (see the module docstring).

    A date may come before the label ("Nov. 20, 2019 Updated: Nov. 20, 2019 1:35 a.m."), and a
    " | Source: …" tail (or a second stamp after ";") is ignored."""
    end = _TAIL.search(text)  # the part before the first " | " or ";" (no copy of a long rest)
    text = (text[: end.start()] if end is not None else text).strip()
    if len(text) > _MAX_CHARS:
        return False
    label = _LABEL.match(text) or _LABEL_INSIDE.search(text)
    if label is None or not all(_stamp_word(w) for w in _TOKEN.findall(text[: label.start()])):
        return False
    rest = text[label.end() :]
    words = _TOKEN.findall(rest)
    if not words or not any(ch.isdigit() for ch in rest):
        return False
    return all(_stamp_word(w) for w in words)
