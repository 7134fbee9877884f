"""Editorial notices in article text: find them, classify them, name the headline they correct.

Public API (stable; producers and consumers call it):

- :func:`find_notices` ``(title, body) -> list[Notice]`` — every notice, with kind, text, span (in
  ``body``, or in ``title`` when ``field == "title"``), calibrated score and referenced title;
- :func:`could_be_notice` — the cheap multilingual trigger (False means: certainly no notice);
- :func:`opens_like_notice` — a label or a notice's opening words start the text (chrome removal keeps it);
- :func:`referenced_title` — the earlier headline a notice names, or None;
- :func:`notice_key` — 12 hex characters identifying a notice modulo noise.

Pages: ``segment`` (candidates), ``cues`` (+ ``cues.json``, per-language cue data), ``features``,
``model`` (the packaged classifier and its card), ``titles``, ``find``; ``corpus``, ``train`` and
``evaluate`` build and measure the model.
"""

from articles.notices.cues import could_be_notice, opens_like_notice
from articles.notices.find import TYPES, Notice, find_notices, notice_key
from articles.notices.model import ModelError
from articles.notices.titles import referenced_title


def model_name() -> str:
    """Version of the packaged classifier (carried in ``evidence.model``)."""
    from articles.notices.model import load

    return load().name


__all__ = [
    "opens_like_notice","TYPES", "ModelError", "Notice", "could_be_notice", "find_notices", "model_name", "notice_key",
           "referenced_title"]  # fmt: skip
