"""What the correction detector remembers of one article between versions, compactly.

One :class:`ArticleState` per article id; the stage keeps them in a store restored from the compacted
``news.detector-state.v1`` changelog (``to_dict``/``from_dict`` are its JSON form). Memory is the
constraint (target: 1 M articles in ≤ 1.5 GB resident, measured by ``bench/detect_bench.py``), so a
state holds no body text but a :class:`~consumers.versions.BodySketch` (sentence hashes, word counts
and an excerpt of at most :data:`~consumers.versions.EXCERPT_CHARS` characters; see
:mod:`consumers.versions` for what a diff against it gives exactly and what approximately), and

- title, content hash, fingerprints and sketch live in one packed ``bytes`` object (one allocation
  instead of six; a hex content hash is kept as its raw digest, the excerpt zlib-compressed when
  that pays);
- notices already reported are short hex keys (:data:`NOTICE_KEY_CHARS`), at most :data:`MAX_NOTICES`,
  in a tuple (the empty one shared);
- publisher and language strings are interned (a few distinct values across millions of states);
- texts of earlier versions are 8-byte fingerprints (at most :data:`MAX_SEEN`), so a replayed or
  alternating old version is recognised without keeping its text;
- the article's URL is not kept (nothing reads it back: events take it from the article).

Changelog format 2 carries the sketch (base64 hashes and word counts, excerpt sentences); format 1
records (plain ``body_text``) are still read, and sketched on the way in.
"""

from __future__ import annotations

import base64
import re
import struct
import sys
import zlib
from collections.abc import Iterable
from typing import Any

from consumers.versions import BodySketch, body_sentences, sketch

#: Body characters compared; changes past this point are seen only through the hash.
BODY_LIMIT = 20_000
#: Notice keys kept (oldest dropped first).
MAX_NOTICES = 32
#: Length of a notice key (hex characters of a BLAKE2b digest).
NOTICE_KEY_CHARS = 12
#: Fingerprints of earlier version texts kept (oldest dropped first).
MAX_SEEN = 8
#: Excerpts shorter than this many bytes are stored raw (zlib would not pay off).
_COMPRESS_FROM = 120
#: Changelog record format; bump when to_dict changes incompatibly (from_dict reads older ones).
FORMAT = 2

_HEX = re.compile(r"(?:[0-9a-f]{2})+")
_COUNT = struct.Struct("<I")
# fields of the packed blob, in order (the content hash first: it is read for every record)
_HASH_BODY, _HASH_PREFIX, _TITLE, _SEEN, _SENT_HASHES, _SENT_WORDS, _EXCERPT = range(7)
# flags byte: content hash body is hex digest bytes / excerpt is zlib-compressed
_HEX_HASH, _ZLIB_EXCERPT = 1, 2


def sketch_text(body: str) -> BodySketch:
    """The sketch kept of a body (its first :data:`BODY_LIMIT` characters)."""
    return sketch(body_sentences(body[:BODY_LIMIT]))


def _pack(title: str, chash: str, seen: bytes, body: BodySketch) -> bytes:
    flags = 0
    prefix, sep, digest = chash.rpartition(":")
    if _HEX.fullmatch(digest):
        # "sha256:<hex>" or "<hex>": keep the raw digest (half the bytes)
        flags |= _HEX_HASH
        hash_prefix, hash_body = (prefix + sep).encode("utf-8"), bytes.fromhex(digest)
    else:
        hash_prefix, hash_body = b"", chash.encode("utf-8")
    excerpt = "\n".join(body.excerpt).encode("utf-8")
    if body.excerpt and len(excerpt) >= _COMPRESS_FROM:
        packed = zlib.compress(excerpt, 9)
        if len(packed) < len(excerpt):
            flags |= _ZLIB_EXCERPT
            excerpt = packed
    excerpt = _COUNT.pack(len(body.excerpt)) + excerpt
    fields = (hash_body, hash_prefix, title.encode("utf-8"), seen, body.hashes, body.words, excerpt)
    return bytes([flags]) + b"".join(_varint(len(f)) + f for f in fields)


def _varint(n: int) -> bytes:
    """LEB128: one byte for lengths below 128 (most fields), two below 16,384."""
    out = bytearray()
    while n >= 0x80:
        out.append((n & 0x7F) | 0x80)
        n >>= 7
    out.append(n)
    return bytes(out)


def _field(blob: bytes, index: int) -> bytes:
    pos, field = 1, 0
    while True:
        size, shift = 0, 0
        while True:
            byte = blob[pos]
            pos += 1
            size |= (byte & 0x7F) << shift
            if byte < 0x80:
                break
            shift += 7
        if field == index:
            return blob[pos : pos + size]
        pos += size
        field += 1


class ArticleState:
    """The detector's memory of one article: last title, body sketch and hash, notices seen, version.

    Construct with plain values (``body_text`` is sketched, or pass ``body`` already sketched).
    Instances are treated as immutable by :func:`consumers.detect.detect`, which returns a new state
    for a new version and the *same object* when nothing changed.
    """

    __slots__ = ("article_id", "version", "_blob", "notices_seen", "publisher", "language")

    def __init__(
        self,
        article_id: str,
        version: int,
        title: str,
        body_text: str = "",
        content_hash: str = "",
        notices_seen: Iterable[str] = (),
        publisher: str | None = None,
        language: str | None = None,
        seen_fingerprints: Iterable[str] = (),
        *,
        body: BodySketch | None = None,
    ) -> None:
        self.article_id = article_id
        self.version = int(version)
        seen = b"".join(bytes.fromhex(h) for h in list(seen_fingerprints)[-MAX_SEEN:])
        self._blob = _pack(title, content_hash, seen, body if body is not None else sketch_text(body_text))
        # most states have no notice: share one empty tuple rather than hold a list each
        self.notices_seen: tuple[str, ...] = tuple(notices_seen)[-MAX_NOTICES:] or ()
        # few distinct publishers and languages: one string object each, shared by every state
        self.publisher = sys.intern(publisher) if publisher else publisher
        self.language = sys.intern(language) if language else language

    @property
    def title(self) -> str:
        """The title of the last version."""
        return _field(self._blob, _TITLE).decode("utf-8")

    @property
    def content_hash(self) -> str:
        """The content hash of the last version, as the article carried it."""
        body = _field(self._blob, _HASH_BODY)
        if self._blob[0] & _HEX_HASH:
            return _field(self._blob, _HASH_PREFIX).decode("utf-8") + body.hex()
        return body.decode("utf-8")

    @property
    def body(self) -> BodySketch:
        """What is kept of the last version's body."""
        raw = _field(self._blob, _EXCERPT)
        count = _COUNT.unpack_from(raw, 0)[0]
        text = raw[4:]
        if self._blob[0] & _ZLIB_EXCERPT:
            text = zlib.decompress(text)
        excerpt = tuple(text.decode("utf-8").split("\n")) if count else ()
        return BodySketch(_field(self._blob, _SENT_HASHES), _field(self._blob, _SENT_WORDS), excerpt)

    @property
    def seen_fingerprints(self) -> list[str]:
        """Fingerprints (16 hex chars) of the texts of recent versions, the current one last."""
        seen = _field(self._blob, _SEEN)
        return [seen[i : i + 8].hex() for i in range(0, len(seen), 8)]

    def has_seen(self, fingerprint: str) -> bool:
        """True when a recent version had this text fingerprint."""
        return fingerprint in self.seen_fingerprints

    def nbytes(self) -> int:
        """Bytes of the packed part (diagnostic)."""
        return len(self._blob)

    def to_dict(self) -> dict[str, Any]:
        """JSON-safe form for the compacted changelog (format :data:`FORMAT`)."""
        body = self.body
        return {
            "format": FORMAT,
            "article_id": self.article_id,
            "version": self.version,
            "title": self.title,
            "content_hash": self.content_hash,
            "notices_seen": list(self.notices_seen),
            "publisher": self.publisher,
            "language": self.language,
            "seen_fingerprints": self.seen_fingerprints,
            "sentence_hashes": base64.b64encode(body.hashes).decode("ascii"),
            "sentence_words": base64.b64encode(body.words).decode("ascii"),
            "excerpt": list(body.excerpt),
        }

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> ArticleState:
        """Inverse of :meth:`to_dict`; reads format 1 (plain ``body_text``) too. Unknown keys are ignored."""
        if int(d.get("format") or 1) >= 2:
            body = BodySketch(
                base64.b64decode(d.get("sentence_hashes") or ""),
                base64.b64decode(d.get("sentence_words") or ""),
                tuple(str(t) for t in d.get("excerpt") or ()),
            )
        else:
            body = sketch_text(str(d.get("body_text") or ""))
        return cls(
            article_id=str(d["article_id"]),
            version=int(d["version"]),
            title=str(d.get("title") or ""),
            content_hash=str(d.get("content_hash") or ""),
            notices_seen=[str(k) for k in d.get("notices_seen") or ()],
            publisher=d.get("publisher"),
            language=d.get("language"),
            seen_fingerprints=[str(h) for h in d.get("seen_fingerprints") or ()],
            body=body,
        )

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, ArticleState):
            return NotImplemented
        return self.to_dict() == other.to_dict()

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return (
            f"ArticleState(article_id={self.article_id!r}, version={self.version}, title={self.title!r}, "
            f"sentences={len(self.body.words)}, notices_seen={len(self.notices_seen)})"
        )
