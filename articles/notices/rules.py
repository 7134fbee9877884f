"""The rule-based verdict on one segment (``classify``), used as a feature by the learned classifier."""

from __future__ import annotations

import re
from functools import lru_cache

from articles.notices.patterns import (
    _CHANGE_CONTENT,
    _CORRECTION_CONTENT,
    _LABEL,
    _LABEL_ONLY,
    _PATTERNS,
    _SELF,
    _THIRD_PARTY,
    _TRIGGER,
    SHORT_BLOCK,
    _timestamp_only,
)


def _label(text: str) -> tuple[str, str] | None:
    m = _LABEL.match(text)
    if m is None:
        return None
    for kind in ("editors_note", "correction", "clarification", "retraction", "update"):
        if m.group(kind):
            return kind, m.group(kind)
    return None  # pragma: no cover - one group always matches


@lru_cache(maxsize=2048)  # features and the decision both ask, about the same segment
def classify(text: str, position: str = "inline") -> tuple[str, str] | None:
    """``(type, cue)`` when ``text`` (one block) is an editorial notice, else None.

    ``position`` is where the block sits: ``top``, ``bottom`` (within :data:`EDGE_BLOCKS` of an end
    of the body) or ``inline``.
    """
    stripped = text.strip()
    if not stripped or not _TRIGGER.search(stripped.lower()):
        return None
    label = _label(stripped)
    if label is not None:
        result = _classify_labelled(stripped, *label)
        if result is not None or label[0] != "update":
            return result
    if _THIRD_PARTY.search(stripped):
        return None
    if not _SELF.search(stripped):
        return None
    short_edge = len(stripped) <= SHORT_BLOCK and position in ("top", "bottom")
    for kind, pattern, strength in _PATTERNS:
        if strength == "weak" and not short_edge:
            continue
        m = pattern.search(stripped)
        if m is not None:
            return kind, m.group(0)[:100]
    return None


def _classify_labelled(text: str, kind: str, cue: str) -> tuple[str, str] | None:
    if _LABEL_ONLY.match(text):
        return None
    rest = text[len(cue) :]
    if kind == "update":
        if _timestamp_only(text):
            return None
        if _CORRECTION_CONTENT.search(rest):
            return "correction", cue
        return "update", cue
    if kind == "editors_note":
        for refined, pattern, _strength in _PATTERNS:
            if refined in ("correction", "clarification", "retraction", "headline_change") and _strength == "strong":
                if pattern.search(rest):
                    return refined, cue
        if _CORRECTION_CONTENT.search(rest):
            return "correction", cue
        if _CHANGE_CONTENT.search(rest):
            return "editors_note", cue
        return None
    if kind == "retraction" and _THIRD_PARTY.search(rest):
        return None
    return kind, cue


def rule_label(text: str) -> str | None:
    """The label the rules know at the start of ``text`` ("CORRECTION:", "Editor's note:"), or None."""
    m = _LABEL.match(text.strip())
    return m.group(0) if m is not None else None


#: Model score above which third-party wording does not veto a notice.
VETO_BELOW = 0.9


def vetoed(text: str, score: float) -> bool:
    """True when the rules read ``text`` as reporting someone else's notice and the model is not sure."""
    return score < VETO_BELOW and _THIRD_PARTY.search(text) is not None


# A notice whose subject is the headline ("A Nov. 24 headline mistakenly said …", "The headline “…”
# misrepresented …", "an incorrect sub headline"), with nothing said of the text: a headline_change. The
# classifier confuses the thin type with corrections; this English form is unambiguous (train 12 of 13
# items, dev 3 of 3). A notice that also fixes the body stays a correction (the corpus' label rule).
_HEADLINE_SUBJECT = re.compile(
    r"\b(?:(?:incorrect|wrong|misleading|inaccurate|earlier|original|previous)\s+(?:sub\s?-?)?headline|"
    r"(?:sub-?)?headlines?(?:\s*[“\"'‘][^”\"’\n]{3,160}[”\"'’])?(?:\s*\(\w+\))?\s+(?:on|of|for|in|over|that|"
    r"which|was|were|has|had|have|should|incorrectly|wrongly|misstated|mis\w+ed|misrepresented|said|says|read|"
    r"stated|states|suggested|implied|gave|referred|described|called|did|may|might|could|erroneously|"
    r"accompanying|above|to\s+(?:an|a|the|this)))\b",
    re.IGNORECASE,
)
_ABOUT_THE_TEXT = re.compile(
    r"\b(?:paragraphs?|body|the\s+(?:story|article|text|report|piece)\s+(?:also|said|stated|misstated|incorrectly)|"
    r"and\s+(?:the\s+)?(?:text|story|article|copy))\b",
    re.IGNORECASE,
)


def headline_notice(text: str) -> bool:
    """True when a notice is about its headline only (see :data:`_HEADLINE_SUBJECT`)."""
    return _HEADLINE_SUBJECT.search(text) is not None and _ABOUT_THE_TEXT.search(text) is None
