"""An in-memory index of headlines, publisher-scoped, normalized and fuzzy (pure; no Kafka).

It resolves a headline named in a notice ("This corrects a previous piece titled "…"") to the id of
the article that carried it. The stage fills it from the compacted ``news.titles.v1`` topic, whose key
is :func:`title_key` and whose value is the article id; :meth:`TitleIndex.add_key` takes those
records as they are, :meth:`TitleIndex.add` takes a publisher and a raw title.

Matching: the exact normalized key first (score 1.0); else candidates of the same publisher that
share one of the query's most distinctive (longest) words, scored by a blend of word overlap and
character similarity; the best at or above :data:`MIN_SCORE` wins. Each title is posted under at most
:data:`POSTED_WORDS` words.

Memory (every detector instance holds the whole index; ~200 B per headline, see
``bench/detect_bench.py``): no Python object per headline. Records (key, NUL, article id) are
appended to one ``bytearray`` with their offsets in an ``array``; exact lookup is an open-addressing
table of record numbers (an ``array``); postings are 64-bit integers (36-bit hash of publisher scope
and word, 28-bit record number) in a few sorted ``array`` runs searched with ``bisect``, merged as
they grow. A hash collision only adds a candidate, which is then checked against the record itself.
"""

from __future__ import annotations

import re
import unicodedata
from array import array
from bisect import bisect_left
from difflib import SequenceMatcher

#: Lowest fuzzy score accepted as a match.
MIN_SCORE = 0.72
#: Words of a title posted in the inverted index (its longest ones).
POSTED_WORDS = 4
#: Candidates scored per lookup, at most.
MAX_CANDIDATES = 200
_SEP = "|"
_HASH_BITS, _SLOT_BITS = 36, 28
_HASH_MASK, _SLOT_MASK = (1 << _HASH_BITS) - 1, (1 << _SLOT_BITS) - 1
_EMPTY, _DELETED = -1, -2
#: Unsorted postings held before they are sorted into a run; runs are merged up to _RUN_MAX.
_FRESH_MAX = 8192
_RUN_MAX = 1 << 20
#: Removed or superseded records tolerated (and this fraction of live ones) before a rebuild.
_DEAD_MIN, _DEAD_FRACTION = 4096, 4

_QUOTES = str.maketrans({c: "" for c in "\"'`´‘’‚‛“”„‟«»‹›「」『』"})
_NON_WORD = re.compile(r"[^\w]+", re.UNICODE)
_STOP = frozenset(
    "the a an of in on at to for and or but is are was were be by with from as its it this that".split()
    + "der die das und im den dem ein eine le la les des du de et un une el los las del y en".split()
)


def normalize_title(title: str) -> str:
    """Case-folded words of a title, quotes and punctuation dropped, single spaces."""
    text = unicodedata.normalize("NFKC", title).casefold().translate(_QUOTES)
    return " ".join(_NON_WORD.sub(" ", text).split())


def normalize_publisher(publisher: str | None) -> str:
    """Publisher scope of a key: normalized words, or the empty scope when unknown."""
    return normalize_title(publisher or "").replace(_SEP, " ")


def title_key(publisher: str | None, title: str) -> str:
    """The publisher-scoped normalized key of a headline: ``"<publisher>|<title>"``.

    The Kafka key of ``news.titles.v1``; equal for headlines that differ only by case, quotes,
    punctuation or whitespace.
    """
    return f"{normalize_publisher(publisher)}{_SEP}{normalize_title(title)}"


def _split_key(key: str) -> tuple[str, str]:
    scope, _, norm = key.partition(_SEP)
    return scope, norm


def _posted(norm_title: str) -> list[str]:
    words = {w for w in norm_title.split() if w not in _STOP and len(w) > 2}
    return sorted(words, key=lambda w: (-len(w), w))[:POSTED_WORDS]


def similarity(a: str, b: str) -> float:
    """Similarity in [0, 1] of two normalized titles: word overlap (Dice) blended with characters."""
    if a == b:
        return 1.0
    wa, wb = set(a.split()), set(b.split())
    if not wa or not wb:
        return 0.0
    dice = 2 * len(wa & wb) / (len(wa) + len(wb))
    chars = SequenceMatcher(None, a, b, autojunk=False).ratio()
    return round(0.5 * dice + 0.5 * chars, 4)


class TitleIndex:
    """Normalized headline → article id, per publisher, with fuzzy lookup.

    ``add`` of a key already present replaces its article id (latest wins, like the compacted topic).
    """

    def __init__(self) -> None:
        self._data = bytearray()  # records: key utf-8, NUL, article id utf-8
        self._offsets = array("Q", [0])  # record n is _data[_offsets[n]:_offsets[n + 1]]
        self._table = array("q", [_EMPTY]) * 8  # record number per cell, or _EMPTY / _DELETED
        self._filled = 0  # cells not _EMPTY
        self._live = 0
        self._dead: set[int] = set()  # records removed or superseded
        self._runs: list[array[int]] = []  # sorted postings: (hash(scope, word) << _SLOT_BITS) | record
        self._fresh: array[int] = array("Q")

    def __len__(self) -> int:
        return self._live

    def __contains__(self, key: object) -> bool:
        return isinstance(key, str) and self._find(key.encode("utf-8"))[1] >= 0

    # --- records and the exact table -------------------------------------------------------------
    def _record(self, n: int) -> tuple[bytes, bytes]:
        key, _, ident = bytes(self._data[self._offsets[n] : self._offsets[n + 1]]).partition(b"\0")
        return key, ident

    def _find(self, key: bytes) -> tuple[int, int]:
        """``(cell, record)`` of a key; record -1 when absent, cell then where to insert it."""
        table = self._table
        mask = len(table) - 1
        h = hash(key)
        cell, perturb, free = h & mask, h & 0xFFFF_FFFF_FFFF_FFFF, -1
        while True:
            n = table[cell]
            if n == _EMPTY:
                return (cell if free < 0 else free), -1
            if n == _DELETED:
                if free < 0:
                    free = cell
            elif self._record(n)[0] == key:
                return cell, n
            # CPython's dict probing: visits every cell eventually
            perturb >>= 5
            cell = (cell * 5 + perturb + 1) & mask

    def _append(self, key: bytes, ident: bytes) -> int:
        n = len(self._offsets) - 1
        if n > _SLOT_MASK:
            raise OverflowError("title index: too many records")
        self._data += key + b"\0" + ident
        self._offsets.append(len(self._data))
        return n

    def _resize(self) -> None:
        size = len(self._table) * 2
        while self._live * 3 >= size:
            size *= 2
        self._table = array("q", [_EMPTY]) * size
        self._filled = 0
        for n in range(len(self._offsets) - 1):
            if n not in self._dead:
                cell, _ = self._find(self._record(n)[0])
                self._table[cell] = n
                self._filled += 1

    def _rebuild(self) -> None:
        fresh = TitleIndex()
        for n in range(len(self._offsets) - 1):
            if n not in self._dead:
                key, ident = self._record(n)
                fresh.add_key(key.decode("utf-8"), ident.decode("utf-8"))
        vars(self).update(vars(fresh))

    # --- postings --------------------------------------------------------------------------------
    def _post(self, scope: str, word: str, n: int) -> None:
        self._fresh.append(((hash((scope, word)) & _HASH_MASK) << _SLOT_BITS) | n)
        if len(self._fresh) >= _FRESH_MAX:
            self._runs.append(array("Q", sorted(self._fresh)))
            self._fresh = array("Q")
            runs = self._runs
            # merge like a binary counter, so there are O(log n) runs; cap a run's size to bound the
            # transient list sorted() builds
            while len(runs) > 1 and len(runs[-2]) <= 2 * len(runs[-1]) and len(runs[-2]) + len(runs[-1]) <= _RUN_MAX:
                last = runs.pop()
                runs[-1] = array("Q", sorted(runs[-1] + last))

    def _posted_records(self, scope: str, word: str) -> list[int]:
        h = hash((scope, word)) & _HASH_MASK
        low, high = h << _SLOT_BITS, (h + 1) << _SLOT_BITS
        found = [p & _SLOT_MASK for p in self._fresh if low <= p < high]
        for run in self._runs:
            found.extend(p & _SLOT_MASK for p in run[bisect_left(run, low) : bisect_left(run, high)])
        return found

    # --- public API ------------------------------------------------------------------------------
    def add(self, publisher: str | None, title: str, article_id: str) -> str | None:
        """Index a headline; returns its key (None for an empty title, which is not indexed)."""
        key = title_key(publisher, title)
        if not _split_key(key)[1]:
            return None
        self.add_key(key, article_id)
        return key

    def add_key(self, key: str, article_id: str) -> None:
        """Index a record of ``news.titles.v1`` as is (key from :func:`title_key`)."""
        scope, norm = _split_key(key)
        if not norm:
            return
        kb, ib = key.encode("utf-8"), article_id.encode("utf-8")
        cell, n = self._find(kb)
        if n >= 0:
            old = self._record(n)[1]
            if old == ib:
                return
            if len(old) == len(ib):  # ids of one form have one length: overwrite in place
                end = self._offsets[n + 1]
                self._data[end - len(ib) : end] = ib
                return
            self._dead.add(n)
        else:
            self._live += 1
            if self._table[cell] == _EMPTY:
                self._filled += 1
        new = self._append(kb, ib)
        self._table[cell] = new
        for word in _posted(norm):
            self._post(scope, word, new)
        if self._filled * 3 >= len(self._table) * 2:
            self._resize()
        self._maybe_rebuild()

    def remove(self, key: str) -> None:
        """Forget a key (a tombstone on the topic); unknown keys are ignored."""
        cell, n = self._find(key.encode("utf-8"))
        if n < 0:
            return
        self._table[cell] = _DELETED
        self._dead.add(n)
        self._live -= 1
        self._maybe_rebuild()

    def _maybe_rebuild(self) -> None:
        if len(self._dead) > _DEAD_MIN and len(self._dead) * _DEAD_FRACTION > self._live:
            self._rebuild()

    def get(self, key: str) -> str | None:
        """The article id stored under an exact key."""
        n = self._find(key.encode("utf-8"))[1]
        return None if n < 0 else self._record(n)[1].decode("utf-8")

    def lookup(self, publisher: str | None, title: str) -> tuple[str, float] | None:
        """``(article_id, score)`` of the best match for a headline in the publisher's scope, or None."""
        key = title_key(publisher, title)
        scope, norm = _split_key(key)
        if not norm:
            return None
        exact = self.get(key)
        if exact is not None:
            return exact, 1.0
        candidates: dict[int, None] = {}
        query_words = {w for w in norm.split() if w not in _STOP and len(w) > 2}
        for word in sorted(query_words, key=lambda w: (-len(w), w)):
            for n in self._posted_records(scope, word):
                if n not in self._dead:
                    candidates[n] = None
            if len(candidates) >= MAX_CANDIDATES:
                break
        best: tuple[str, float] | None = None
        for n in list(candidates)[:MAX_CANDIDATES]:
            cand_key, ident = self._record(n)
            cand_scope, cand_norm = _split_key(cand_key.decode("utf-8"))
            if cand_scope != scope:  # a hash collision
                continue
            score = similarity(norm, cand_norm)
            if score >= MIN_SCORE and (best is None or score > best[1]):
                best = (ident.decode("utf-8"), score)
        return best
