"""What the correction detector remembers of one article between versions, compactly.

One :class:`ArticleState` per article id; the stage keeps them in a store restored from the compacted
``news.detector-state.v1`` changelog (``to_dict``/``from_dict`` are its JSON form). Memory is the
constraint (target: 1 M articles in ≤ 1.5 GB resident), so

- the body is bounded to :data:`BODY_LIMIT` characters and held zlib-compressed (``body_text`` is a
  property that decompresses on read; the changelog carries plain text);
- notices already reported are short hex keys (:data:`NOTICE_KEY_CHARS`), at most :data:`MAX_NOTICES`,
  in a tuple (the empty one shared);
- publisher and language strings are interned (a few distinct values across millions of states);
- texts of earlier versions are 8-byte fingerprints (at most :data:`MAX_SEEN`), packed in one bytes
  object, so a replayed or alternating old version is recognised without keeping its text.
"""

from __future__ import annotations

import sys
import zlib
from collections.abc import Iterable
from typing import Any

#: Body characters kept for diffing; changes past this point are seen only through the hash.
BODY_LIMIT = 20_000
#: Notice keys kept (oldest dropped first).
MAX_NOTICES = 32
#: Length of a notice key (hex characters of a BLAKE2b digest).
NOTICE_KEY_CHARS = 12
#: Fingerprints of earlier version texts kept (oldest dropped first).
MAX_SEEN = 8
#: Bodies shorter than this are stored raw (zlib would not pay off).
_COMPRESS_FROM = 160
#: Changelog record format; bump when to_dict changes incompatibly.
FORMAT = 1


def _pack_body(text: str) -> bytes:
    raw = text[:BODY_LIMIT].encode("utf-8")
    if len(raw) < _COMPRESS_FROM:
        return b"\x00" + raw
    return b"\x01" + zlib.compress(raw, 9)


def _unpack_body(packed: bytes) -> str:
    if not packed:
        return ""
    if packed[0] == 1:
        return zlib.decompress(packed[1:]).decode("utf-8")
    return packed[1:].decode("utf-8")


class ArticleState:
    """The detector's memory of one article: last title, bounded body and hash, notices seen, version.

    Construct with plain values (``body_text`` is a string); read ``body_text`` back as a string.
    Instances are treated as immutable by :func:`consumers.detect.detect`, which returns a new state
    for a new version and the *same object* when nothing changed.
    """

    __slots__ = (
        "article_id",
        "version",
        "title",
        "_body",
        "content_hash",
        "notices_seen",
        "publisher",
        "url",
        "language",
        "_seen",
    )

    def __init__(
        self,
        article_id: str,
        version: int,
        title: str,
        body_text: str,
        content_hash: str,
        notices_seen: Iterable[str] = (),
        publisher: str | None = None,
        url: str | None = None,
        language: str | None = None,
        seen_fingerprints: Iterable[str] = (),
    ) -> None:
        self.article_id = article_id
        self.version = int(version)
        self.title = title
        self._body = _pack_body(body_text)
        self.content_hash = content_hash
        # most states have no notice: share one empty tuple rather than hold a list each
        self.notices_seen: tuple[str, ...] = tuple(notices_seen)[-MAX_NOTICES:] or ()
        # few distinct publishers and languages: one string object each, shared by every state
        self.publisher = sys.intern(publisher) if publisher else publisher
        self.url = url
        self.language = sys.intern(language) if language else language
        self._seen = b"".join(bytes.fromhex(h) for h in list(seen_fingerprints)[-MAX_SEEN:])

    @property
    def body_text(self) -> str:
        """The body of the last version, at most :data:`BODY_LIMIT` characters."""
        return _unpack_body(self._body)

    @property
    def seen_fingerprints(self) -> list[str]:
        """Fingerprints (16 hex chars) of the texts of recent versions, the current one last."""
        return [self._seen[i : i + 8].hex() for i in range(0, len(self._seen), 8)]

    def has_seen(self, fingerprint: str) -> bool:
        """True when a recent version had this text fingerprint."""
        target = bytes.fromhex(fingerprint)
        return any(self._seen[i : i + 8] == target for i in range(0, len(self._seen), 8))

    def to_dict(self) -> dict[str, Any]:
        """JSON-safe form for the compacted changelog (plain body text, not compressed)."""
        return {
            "format": FORMAT,
            "article_id": self.article_id,
            "version": self.version,
            "title": self.title,
            "body_text": self.body_text,
            "content_hash": self.content_hash,
            "notices_seen": list(self.notices_seen),
            "publisher": self.publisher,
            "url": self.url,
            "language": self.language,
            "seen_fingerprints": self.seen_fingerprints,
        }

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> ArticleState:
        """Inverse of :meth:`to_dict`; unknown keys are ignored, missing optional ones default."""
        return cls(
            article_id=str(d["article_id"]),
            version=int(d["version"]),
            title=str(d.get("title") or ""),
            body_text=str(d.get("body_text") or ""),
            content_hash=str(d.get("content_hash") or ""),
            notices_seen=[str(k) for k in d.get("notices_seen") or ()],
            publisher=d.get("publisher"),
            url=d.get("url"),
            language=d.get("language"),
            seen_fingerprints=[str(h) for h in d.get("seen_fingerprints") or ()],
        )

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, ArticleState):
            return NotImplemented
        return self.to_dict() == other.to_dict()

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return (
            f"ArticleState(article_id={self.article_id!r}, version={self.version}, title={self.title!r}, "
            f"body_chars={len(self.body_text)}, notices_seen={len(self.notices_seen)})"
        )
