"""An in-memory index of headlines, publisher-scoped, normalized and fuzzy (pure; no Kafka).

It resolves a headline named in a notice ("This corrects a previous piece titled "…"") to the id of
the article that carried it. The stage fills it from the compacted ``news.titles.v1`` topic, whose key
is :func:`title_key` and whose value is the article id; :meth:`TitleIndex.add_key` takes those
records as they are, :meth:`TitleIndex.add` takes a publisher and a raw title.

Matching: the exact normalized key first (score 1.0); else candidates of the same publisher that
share one of the query's most distinctive (longest) words, scored by a blend of word overlap and
character similarity; the best at or above :data:`MIN_SCORE` wins. Each title is posted under at most
:data:`POSTED_WORDS` words, so memory stays linear and small.
"""

from __future__ import annotations

import re
import unicodedata
from difflib import SequenceMatcher

#: Lowest fuzzy score accepted as a match.
MIN_SCORE = 0.72
#: Words of a title posted in the inverted index (its longest ones).
POSTED_WORDS = 4
#: Candidates scored per lookup, at most.
MAX_CANDIDATES = 200
_SEP = "|"

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
        self._ids: dict[str, str] = {}
        self._postings: dict[tuple[str, str], list[str]] = {}

    def __len__(self) -> int:
        return len(self._ids)

    def __contains__(self, key: object) -> bool:
        return key in self._ids

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
        if key not in self._ids:
            for word in _posted(norm):
                self._postings.setdefault((scope, word), []).append(key)
        self._ids[key] = article_id

    def remove(self, key: str) -> None:
        """Forget a key (a tombstone on the topic); unknown keys are ignored."""
        if self._ids.pop(key, None) is None:
            return
        scope, norm = _split_key(key)
        for word in _posted(norm):
            posting = self._postings.get((scope, word))
            if posting is None:
                continue
            try:
                posting.remove(key)
            except ValueError:
                continue
            if not posting:
                del self._postings[(scope, word)]

    def get(self, key: str) -> str | None:
        """The article id stored under an exact key."""
        return self._ids.get(key)

    def lookup(self, publisher: str | None, title: str) -> tuple[str, float] | None:
        """``(article_id, score)`` of the best match for a headline in the publisher's scope, or None."""
        key = title_key(publisher, title)
        scope, norm = _split_key(key)
        if not norm:
            return None
        exact = self._ids.get(key)
        if exact is not None:
            return exact, 1.0
        candidates: dict[str, None] = {}
        query_words = {w for w in norm.split() if w not in _STOP and len(w) > 2}
        for word in sorted(query_words, key=lambda w: (-len(w), w)):
            for cand in self._postings.get((scope, word), ()):
                candidates[cand] = None
                if len(candidates) >= MAX_CANDIDATES:
                    break
            if len(candidates) >= MAX_CANDIDATES:
                break
        best: tuple[str, float] | None = None
        for cand in candidates:
            score = similarity(norm, _split_key(cand)[1])
            if score >= MIN_SCORE and (best is None or score > best[1]):
                best = (self._ids[cand], score)
        return best
