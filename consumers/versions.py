"""Comparing two versions of one article (pure): noise-insensitive keys and a bounded diff summary.

Noise is what feeds change without an editor meaning anything: case, whitespace, punctuation and
quote style (curly vs straight, « » vs " "). :func:`compare_key` removes it; two texts with equal keys
are the same version. :func:`diff_bodies` compares sentence by sentence and word by word within the
changed sentences, and says whether the new body is the old one plus material added at the end or
the top only (a live-blog style append).
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from dataclasses import dataclass, field
from difflib import SequenceMatcher

#: Changed sentences listed in a diff summary, and characters per side.
MAX_SENTENCES = 5
MAX_SENTENCE_CHARS = 300

_NON_WORD = re.compile(r"[^\w]+", re.UNICODE)
# A sentence ends after . ! ? … (plus closing quotes/brackets) and whitespace, or at a line break.
_BOUNDARY = re.compile(r"[.!?…]+[\"'”’»)\]]*\s+|\n\s*")


def is_tag_line(sentence: str) -> bool:
    """A feed's section/tag line ("Politics, World", "Global Economy, Markets"): not editorial text.

    Some feeds add or drop such a trailing line between captures; it is left out of body diffs.
    """
    text = sentence.strip()
    if not text or text[-1] in ".!?…:;\"”'’)" or len(text) > 120:
        return False
    items = [item.strip() for item in text.split(",")]
    if len(items) < 2:
        return False
    return all(item and item[0].isupper() and len(item.split()) <= 3 for item in items)


def compare_key(text: str) -> str:
    """The text without case, quote style, punctuation or whitespace differences (words, one space)."""
    # quotes are non-word characters: "don’t" and "don't" both become "don t"
    return " ".join(_NON_WORD.sub(" ", unicodedata.normalize("NFKC", text).casefold()).split())


def fingerprint(title: str, body: str) -> str:
    """16 hex chars identifying a version's text modulo noise (see :func:`compare_key`)."""
    data = (compare_key(title) + "\x00" + compare_key(body)).encode("utf-8")
    return hashlib.blake2b(data, digest_size=8).hexdigest()


def content_hash(title: str, body: str) -> str:
    """Fallback content hash when the article carries none (exact text, whitespace-trimmed)."""
    data = (title.strip() + "\x00" + body.strip()).encode("utf-8")
    return "blake2b:" + hashlib.blake2b(data, digest_size=16).hexdigest()


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


def _clip(text: str | None) -> str | None:
    if text is None:
        return None
    return text if len(text) <= MAX_SENTENCE_CHARS else text[: MAX_SENTENCE_CHARS - 1] + "…"


@dataclass
class BodyDiff:
    """What changed between two bodies, modulo noise."""

    words_added: int = 0
    words_removed: int = 0
    #: (before, after) per changed sentence; None on the side where it does not exist.
    changes: list[tuple[str | None, str | None]] = field(default_factory=list)
    #: Spans in the new body of the sentences that were added or changed.
    new_spans: list[tuple[int, int]] = field(default_factory=list)
    #: The new body is the old one with material added only at the end and/or the top.
    append_only: bool = False

    @property
    def changed(self) -> bool:
        return bool(self.changes)


def diff_bodies(old: str, new: str) -> BodyDiff:
    """Sentence-level diff of two bodies; words counted within changed sentences only (fast)."""
    old_spans, new_spans = split_sentences(old), split_sentences(new)
    old_sents = [old[s:e] for s, e in old_spans]
    new_sents = [new[s:e] for s, e in new_spans]
    # a sentence found verbatim on the other side keys as itself; only the others are normalized (fast)
    old_set, new_set = set(old_sents), set(new_sents)
    old_keys = [s if s in new_set else "" if is_tag_line(s) else compare_key(s) for s in old_sents]
    new_keys = [s if s in old_set else "" if is_tag_line(s) else compare_key(s) for s in new_sents]
    # Sentences that are pure punctuation or tag lines carry no text: drop them from the comparison.
    old_idx = [i for i, k in enumerate(old_keys) if k]
    new_idx = [i for i, k in enumerate(new_keys) if k]
    a = [old_keys[i] for i in old_idx]
    b = [new_keys[j] for j in new_idx]
    result = BodyDiff()
    opcodes = [op for op in SequenceMatcher(None, a, b, autojunk=False).get_opcodes() if op[0] != "equal"]
    if not opcodes:
        return result
    result.append_only = bool(a) and all(
        tag == "insert" and (i1 == 0 or i1 == len(a)) for tag, i1, _i2, _j1, _j2 in opcodes
    )
    for tag, i1, i2, j1, j2 in opcodes:
        before = [old_idx[i] for i in range(i1, i2)]
        after = [new_idx[j] for j in range(j1, j2)]
        result.new_spans.extend(new_spans[j] for j in after)
        before_words = " ".join(compare_key(old_sents[i]) for i in before).split()
        after_words = " ".join(compare_key(new_sents[j]) for j in after).split()
        if tag == "replace":
            for wtag, w1, w2, v1, v2 in SequenceMatcher(None, before_words, after_words, autojunk=False).get_opcodes():
                if wtag in ("replace", "delete"):
                    result.words_removed += w2 - w1
                if wtag in ("replace", "insert"):
                    result.words_added += v2 - v1
        else:
            result.words_removed += len(before_words)
            result.words_added += len(after_words)
        pairs = max(len(before), len(after))
        for k in range(pairs):
            result.changes.append(
                (
                    old_sents[before[k]] if k < len(before) else None,
                    new_sents[after[k]] if k < len(after) else None,
                )
            )
    return result


def summary(diff: BodyDiff, title_changed: bool) -> dict[str, object]:
    """The bounded ``diff`` object of a CorrectionEvent."""
    shown = [{"before": _clip(b), "after": _clip(a)} for b, a in diff.changes[:MAX_SENTENCES]]
    return {
        "title_changed": title_changed,
        "words_added": diff.words_added,
        "words_removed": diff.words_removed,
        "changed_sentences": shown,
        "truncated": len(diff.changes) > MAX_SENTENCES,
    }
