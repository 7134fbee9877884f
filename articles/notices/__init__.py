"""Editorial notices in article text: find them, classify them, name the headline they correct.

Public API (stable; producers and consumers call it):

- :func:`find_notices` ``(title, body) -> list[Notice]`` — every notice, with kind, text, span
  (in ``body``, or in ``title`` when ``field == "title"``), score and referenced title;
- :func:`could_be_notice` — the cheap trigger (False means: certainly no notice);
- :func:`referenced_title` — the earlier headline a notice names, or None;
- :func:`notice_key` — 12 hex characters identifying a notice modulo noise.
"""

from articles.notices.rules import (
    TYPES,
    Notice,
    classify,
    could_be_notice,
    find_notices,
    notice_key,
    referenced_title,
)

__all__ = ["TYPES", "Notice", "classify", "could_be_notice", "find_notices", "notice_key", "referenced_title"]
