"""Candidate segments of a title and body: blocks, sentences of long blocks, inline labelled notices.

A body is split into blocks (its lines). Inside a block a notice label that follows a sentence end
("…, he said. CORRECTION: An earlier version …") starts a new piece that runs to the end of the block.
A piece up to :data:`SHORT` characters is one segment from its first sentence that holds a trigger cue
(so "Police said three died. An earlier version of this story said four." yields the notice, not the
news sentence); a longer piece yields one segment per sentence, and the detector joins neighbours.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from articles.notices.cues import Label, could_be_notice, label_at
from articles.text import split_sentences

#: A piece up to this many characters is one segment; a longer one is split into sentences.
SHORT = 480
#: Blocks at either end of a body that count as its top or bottom.
EDGE_BLOCKS = 3

_BLOCK = re.compile(r"[^\n]+")
# where an inline label may start: after a sentence end (and closing quotes or brackets) and a space
_SENTENCE_END = re.compile(r"[.!?…][\"'”’»)\]]*\s+(?=\W{0,3}[^\W\d_])")


@dataclass(frozen=True, slots=True)
class Segment:
    """One candidate: a span of the body (or title), where it sits, and the label opening it if any."""

    start: int
    end: int
    block: int  # index of its block; -1 for the title
    blocks: int  # blocks in the body
    sentence: int  # index of its first sentence in the block (0: the segment opens the block)
    sentences: int  # sentences in its piece
    label: Label | None  # a label at the segment's start
    inline: bool  # it starts inside a paragraph, after other text

    @property
    def position(self) -> str:
        """``title``, ``top``, ``bottom`` or ``inline`` (a block in the middle of the body)."""
        if self.block < 0:
            return "title"
        if self.block < EDGE_BLOCKS and self.block < self.blocks - 1 - self.block:
            return "top"
        if self.block >= self.blocks - EDGE_BLOCKS:
            return "bottom"
        return "inline"


def blocks(body: str) -> list[tuple[int, int]]:
    """``(start, end)`` of every non-blank line of ``body``, trimmed."""
    spans = []
    for m in _BLOCK.finditer(body):
        start, end = m.start(), m.end()
        while start < end and body[start].isspace():
            start += 1
        while end > start and body[end - 1].isspace():
            end -= 1
        if end > start:
            spans.append((start, end))
    return spans


def _pieces(body: str, start: int, end: int) -> list[tuple[int, int, Label | None, bool]]:
    """The block cut before every inline label: ``(start, end, label, inline)``."""
    cuts: list[tuple[int, Label | None, bool]] = [(start, label_at(body, start, endpos=end), False)]
    for m in _SENTENCE_END.finditer(body, start, end):
        label = label_at(body, m.end(), need_separator=True, endpos=end)
        if label is not None and body[m.end()].isupper():  # labels are capitalised; "update:" mid-text is prose
            cuts.append((m.end(), label, True))
    out = []
    for i, (s, label, inline) in enumerate(cuts):
        e = cuts[i + 1][0] if i + 1 < len(cuts) else end
        while e > s and body[e - 1].isspace():
            e -= 1
        out.append((s, e, label, inline))
    return out


def segments(body: str) -> list[Segment]:
    """Every candidate segment of ``body`` (see the module docstring), in order."""
    spans = blocks(body)
    out: list[Segment] = []
    for index, (b_start, b_end) in enumerate(spans):
        for p_start, p_end, label, inline in _pieces(body, b_start, b_end):
            sents = [(p_start + s, p_start + e) for s, e in split_sentences(body[p_start:p_end])]
            if not sents:
                continue
            if p_end - p_start <= SHORT:
                first = 0
                if label is None:
                    first = next((k for k, (s, e) in enumerate(sents) if could_be_notice(body[s:e])), 0)
                s = sents[first][0]
                out.append(Segment(s, p_end, index, len(spans), first, len(sents), label if first == 0 else None,
                                   inline or first > 0))  # fmt: skip
                continue
            for k, (s, e) in enumerate(sents):
                out.append(Segment(s, e, index, len(spans), k, len(sents), label if k == 0 else None, inline or k > 0))
    return out


def title_segment(title: str) -> Segment | None:
    """The title as one segment (position ``title``), or None when it is blank."""
    stripped = title.strip()
    if not stripped:
        return None
    start = title.index(stripped[0])
    return Segment(start, start + len(stripped), -1, 0, 0, 1, label_at(stripped), False)
