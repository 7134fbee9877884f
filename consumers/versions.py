"""Comparing two versions of one article (pure): noise-insensitive keys and a bounded diff summary.

Noise is what feeds change without an editor meaning anything: case, whitespace, punctuation and
quote style (curly vs straight, « » vs " "). :func:`compare_key` removes it; two texts with equal keys
are the same version.

The previous version is not kept as text (memory: 1 M articles must fit in ≤ 1.5 GB) but as a
:class:`BodySketch`: per sentence a :data:`SENTENCE_HASH_BYTES`-byte hash of its key and its word
count, plus the text of the first sentences up to :data:`EXCERPT_CHARS` (all of a short body, such
as an RSS standfirst). :func:`diff_bodies` aligns the old sentence hashes with the new body's
sentences. What that gives, exactly or not:

- *which* sentences were added, removed or changed, and whether the change is a pure append at the
  end or the top (a live-blog style update): exact (barring a hash collision, ~n/2³² per edit);
- ``after`` texts: exact; ``before`` texts: exact for sentences within the excerpt, else unknown
  (``None``, flagged ``before_kept=False`` in the summary);
- ``words_added`` / ``words_removed``: exact for added sentences, for removed ones (word counts
  saturate at 255 per sentence) and for changed ones whose earlier text is in the excerpt; for a
  changed sentence beyond the excerpt, a lower bound from the word counts (the count difference, or
  one word each way when the counts are equal).
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from dataclasses import dataclass, field
from difflib import SequenceMatcher

from articles.text import compare_key, split_sentences

#: Changed sentences listed in a diff summary, and characters per side.
MAX_SENTENCES = 5
MAX_SENTENCE_CHARS = 300
#: Bytes of a sentence hash (BLAKE2b of its compare_key).
SENTENCE_HASH_BYTES = 4
#: Characters of sentence text kept, from the top, to quote a changed sentence's earlier text.
EXCERPT_CHARS = 400
#: Word counts per sentence saturate here (one byte each).
MAX_WORD_COUNT = 255

_WORD = re.compile(r"\w+", re.UNICODE)


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


def fingerprint(title: str, body: str) -> str:
    """16 hex chars identifying a version's text modulo noise (see :func:`compare_key`)."""
    return fingerprint_keys(compare_key(title), compare_key(body))


def fingerprint_keys(title_key: str, body_key: str) -> str:
    """:func:`fingerprint` from the two texts' compare keys (a caller that has them already)."""
    return hashlib.blake2b((title_key + "\x00" + body_key).encode("utf-8"), digest_size=8).hexdigest()


def content_hash(title: str, body: str) -> str:
    """Fallback content hash when the article carries none (exact text, whitespace-trimmed)."""
    data = (title.strip() + "\x00" + body.strip()).encode("utf-8")
    return "blake2b:" + hashlib.blake2b(data, digest_size=16).hexdigest()


def _clip(text: str | None) -> str | None:
    if text is None:
        return None
    return text if len(text) <= MAX_SENTENCE_CHARS else text[: MAX_SENTENCE_CHARS - 1] + "…"


def _hash(key: str) -> bytes:
    return hashlib.blake2b(key.encode("utf-8"), digest_size=SENTENCE_HASH_BYTES).digest()


@dataclass(slots=True)
class Sentences:
    """The sentences of a body that carry text (tag lines and pure punctuation left out)."""

    spans: list[tuple[int, int]]
    texts: list[str]
    keys: list[str]
    hashes: list[bytes]


def body_sentences(body: str) -> Sentences:
    """Split ``body`` and key every sentence that carries text (keys as :func:`compare_key` gives)."""
    out = Sentences([], [], [], [])
    folded = body.casefold()
    # fast path: when NFKC changes nothing and case folding keeps every position, a sentence's key
    # is the words of the folded body within its span (one fold and no NFKC call per sentence)
    fast = len(folded) == len(body) and unicodedata.is_normalized("NFKC", body)
    for start, end in split_sentences(body):
        text = body[start:end]
        if is_tag_line(text):
            continue
        key = " ".join(_WORD.findall(folded, start, end)) if fast else compare_key(text)
        if not key:
            continue
        out.spans.append((start, end))
        out.texts.append(text)
        out.keys.append(key)
        out.hashes.append(_hash(key))
    return out


@dataclass(frozen=True, slots=True)
class BodySketch:
    """What is kept of a body for the next comparison (see the module doc)."""

    #: :data:`SENTENCE_HASH_BYTES` per sentence, in order.
    hashes: bytes = b""
    #: Word count per sentence (one byte, saturating at :data:`MAX_WORD_COUNT`).
    words: bytes = b""
    #: Texts of the first ``len(excerpt)`` sentences.
    excerpt: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if len(self.hashes) != SENTENCE_HASH_BYTES * len(self.words) or len(self.excerpt) > len(self.words):
            raise ValueError("inconsistent body sketch")

    def hash_list(self) -> list[bytes]:
        n = SENTENCE_HASH_BYTES
        return [self.hashes[i : i + n] for i in range(0, len(self.hashes), n)]


def sketch(sentences: Sentences) -> BodySketch:
    """The :class:`BodySketch` of a body's sentences."""
    kept: list[str] = []
    budget = EXCERPT_CHARS
    for text in sentences.texts:
        if len(text) > budget:
            break
        kept.append(text)
        budget -= len(text)
    words = bytes(min(key.count(" ") + 1, MAX_WORD_COUNT) for key in sentences.keys)
    return BodySketch(b"".join(sentences.hashes), words, tuple(kept))


@dataclass
class BodyDiff:
    """What changed between two bodies, modulo noise."""

    words_added: int = 0
    words_removed: int = 0
    #: (before, after) per changed sentence; None on the side where it does not exist or is not kept.
    changes: list[tuple[str | None, str | None]] = field(default_factory=list)
    #: Per change: False when the sentence existed before but its earlier text was not kept.
    before_kept: list[bool] = field(default_factory=list)
    #: Spans in the new body of the sentences that were added or changed.
    new_spans: list[tuple[int, int]] = field(default_factory=list)
    #: The new body is the old one with material added only at the end and/or the top.
    append_only: bool = False

    @property
    def changed(self) -> bool:
        return bool(self.changes)


def diff_bodies(old: BodySketch, new: Sentences) -> BodyDiff:
    """Sentence-level diff of a kept body and a new one; words counted within changed sentences only."""
    a = old.hash_list()
    b = new.hashes
    result = BodyDiff()
    opcodes = [op for op in SequenceMatcher(None, a, b, autojunk=False).get_opcodes() if op[0] != "equal"]
    if not opcodes:
        return result
    result.append_only = bool(a) and all(
        tag == "insert" and (i1 == 0 or i1 == len(a)) for tag, i1, _i2, _j1, _j2 in opcodes
    )
    kept = len(old.excerpt)
    for tag, i1, i2, j1, j2 in opcodes:
        result.new_spans.extend(new.spans[j1:j2])
        after_words = " ".join(new.keys[j1:j2]).split()
        known = i2 <= kept
        before_words = " ".join(compare_key(t) for t in old.excerpt[i1:i2]).split() if known else []
        old_count = sum(old.words[i1:i2])
        if tag == "replace" and known:
            for wtag, w1, w2, v1, v2 in SequenceMatcher(None, before_words, after_words, autojunk=False).get_opcodes():
                if wtag in ("replace", "delete"):
                    result.words_removed += w2 - w1
                if wtag in ("replace", "insert"):
                    result.words_added += v2 - v1
        elif tag == "replace":
            # earlier text not kept: the fewest word edits the counts allow
            removed, added = max(old_count - len(after_words), 0), max(len(after_words) - old_count, 0)
            result.words_removed += removed or (0 if added else 1)
            result.words_added += added or (0 if removed else 1)
        else:
            result.words_removed += len(before_words) if known else old_count
            result.words_added += len(after_words)
        for k in range(max(i2 - i1, j2 - j1)):
            i, j = i1 + k, j1 + k
            before = old.excerpt[i] if i < i2 and i < kept else None
            result.changes.append((before, new.texts[j] if j < j2 else None))
            result.before_kept.append(i >= i2 or i < kept)
    return result


def summary(diff: BodyDiff, title_changed: bool) -> dict[str, object]:
    """The bounded ``diff`` object of a CorrectionEvent."""
    shown: list[dict[str, object]] = []
    for (before, after), kept in list(zip(diff.changes, diff.before_kept, strict=True))[:MAX_SENTENCES]:
        item: dict[str, object] = {"before": _clip(before), "after": _clip(after)}
        if not kept:
            item["before_kept"] = False
        shown.append(item)
    return {
        "title_changed": title_changed,
        "words_added": diff.words_added,
        "words_removed": diff.words_removed,
        "changed_sentences": shown,
        "truncated": len(diff.changes) > MAX_SENTENCES,
    }
