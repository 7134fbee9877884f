"""Word-level diffs and notice highlighting: pure functions over text, no I/O, no HTML.

The output is segments ``(op, text)`` with op ``=`` (unchanged), ``-`` (deleted) or ``+``
(inserted); the templates escape each text and wrap it in ``<del>``/``<ins>``. Paragraphs are
aligned first and only changed ones are diffed word by word, so a long body with one edited
sentence costs a short word diff, not one over the whole text.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from difflib import SequenceMatcher

Segment = tuple[str, str]
#: A word with its trailing space: lone " " tokens match everywhere and made diffs 30x slower.
_TOKEN = re.compile(r"\S+\s*|\s+")
_PARAGRAPHS = re.compile(r"\n\s*\n")
#: Word diffs above this many tokens a side fall back to whole-paragraph replacement (bounded time).
MAX_WORD_DIFF_TOKENS = 20_000


def _merge(segments: Iterable[Segment]) -> list[Segment]:
    out: list[Segment] = []
    for op, text in segments:
        if not text:
            continue
        if out and out[-1][0] == op:
            out[-1] = (op, out[-1][1] + text)
        else:
            out.append((op, text))
    return out


def word_diff(before: str, after: str) -> list[Segment]:
    """Segments turning ``before`` into ``after``, word by word (whitespace kept as written)."""
    a, b = _TOKEN.findall(before), _TOKEN.findall(after)
    if len(a) > MAX_WORD_DIFF_TOKENS or len(b) > MAX_WORD_DIFF_TOKENS:
        return _merge([("-", before), ("+", after)])
    out: list[Segment] = []
    for tag, i1, i2, j1, j2 in SequenceMatcher(None, a, b, autojunk=False).get_opcodes():
        if tag == "equal":
            out.append(("=", "".join(a[i1:i2])))
        else:
            out.append(("-", "".join(a[i1:i2])))
            out.append(("+", "".join(b[j1:j2])))
    return _merge(out)


def text_diff(before: str, after: str) -> list[Segment]:
    """Like :func:`word_diff` for bodies: paragraphs aligned first, changed ones diffed by word."""
    pa, pb = _PARAGRAPHS.split(before.strip()), _PARAGRAPHS.split(after.strip())
    out: list[Segment] = []
    for tag, i1, i2, j1, j2 in SequenceMatcher(None, pa, pb, autojunk=False).get_opcodes():
        if out:
            out.append(("=", "\n\n"))
        if tag == "equal":
            out.append(("=", "\n\n".join(pa[i1:i2])))
        elif tag == "delete":
            out.append(("-", "\n\n".join(pa[i1:i2])))
        elif tag == "insert":
            out.append(("+", "\n\n".join(pb[j1:j2])))
        else:
            out.extend(word_diff("\n\n".join(pa[i1:i2]), "\n\n".join(pb[j1:j2])))
    return _merge(out)


def changed(segments: Sequence[Segment]) -> tuple[int, int]:
    """Words deleted and inserted in ``segments``."""
    removed = sum(len(text.split()) for op, text in segments if op == "-")
    added = sum(len(text.split()) for op, text in segments if op == "+")
    return removed, added


def highlight(text: str, spans: Iterable[tuple[int, int, str]]) -> list[tuple[str, str | None]]:
    """``text`` cut into ``(piece, label)``: label is the span's label (e.g. the event type) or None.

    Spans outside the text or overlapping an earlier one are ignored (offsets come from a message).
    """
    out: list[tuple[str, str | None]] = []
    at = 0
    for start, end, label in sorted(spans):
        if not 0 <= start < end <= len(text) or start < at:
            continue
        out.append((text[at:start], None))
        out.append((text[start:end], label))
        at = end
    out.append((text[at:], None))
    return [(piece, label) for piece, label in out if piece]


def find_span(text: str, notice: str | None, start: int | None, end: int | None) -> tuple[int, int] | None:
    """The notice's place in ``text``: the given span when it holds the notice, else where it occurs."""
    if start is not None and end is not None and 0 <= start < end <= len(text):
        if not notice or text[start:end].strip()[:40] == notice.strip()[:40]:
            return start, end
    if notice:
        found = text.find(notice.strip())
        if found >= 0:
            return found, found + len(notice.strip())
    return None
