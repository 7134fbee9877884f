"""64-bit SimHash (Charikar) over the words of a text, for near-duplicate detection.

Features are the casefolded word tokens (``\\w+``), each occurrence weighing one; a word's 64-bit
hash is the first 8 bytes of its BLAKE2b digest (stable across processes and languages). Two texts
whose simhashes differ in few bits (Hamming distance <= 3 is the usual threshold) are near
duplicates. The result is written as 16 lower-case hex characters so every language reads it.

Speed: the per-bit vote is done with Python's big integers. Each word's hash is "spread" once into
a 1,024-bit integer holding one 16-bit lane per hash bit (lane i = bit i of the hash); summing the
spread integers of all tokens counts, in every lane at once, how many tokens set that bit. Spread
values are cached per word (bounded), so an article costs one dict lookup and one big-integer add
per token. Lanes count up to 65,535, so at most that many tokens are read.
"""

from __future__ import annotations

import hashlib
import re

_TOKEN = re.compile(r"\w+")
_LANE_BITS = 16
_MAX_TOKENS = (1 << _LANE_BITS) - 1
_CACHE_LIMIT = 50_000  # about 12 MB of spread integers at most
#: byte value -> its 8 bits spread into 8 lanes, for each of the 8 byte positions of a hash.
_SPREAD_BYTE = [
    [sum(1 << ((pos * 8 + bit) * _LANE_BITS) for bit in range(8) if value >> bit & 1) for value in range(256)]
    for pos in range(8)
]
_cache: dict[str, int] = {}


def _spread(word: str) -> int:
    digest = hashlib.blake2b(word.encode("utf-8"), digest_size=8).digest()
    table = _SPREAD_BYTE
    spread = (
        table[0][digest[0]] | table[1][digest[1]] | table[2][digest[2]] | table[3][digest[3]]
        | table[4][digest[4]] | table[5][digest[5]] | table[6][digest[6]] | table[7][digest[7]]
    )  # fmt: skip
    if len(_cache) >= _CACHE_LIMIT:
        _cache.clear()
    _cache[word] = spread
    return spread


def word_hash(word: str) -> int:
    """The 64-bit feature hash of one (already casefolded) word."""
    return int.from_bytes(hashlib.blake2b(word.encode("utf-8"), digest_size=8).digest(), "little")


def tokens(text: str) -> list[str]:
    """The features of ``text``: its casefolded ``\\w+`` words, in order."""
    return _TOKEN.findall(text.casefold())


def simhash_tokens(words: list[str]) -> int:
    """The 64-bit SimHash of a token list (0 for no tokens)."""
    words = words[:_MAX_TOKENS]
    if not words:
        return 0
    cache = _cache
    for word in set(words).difference(cache):
        _spread(word)
    try:
        total = sum(map(cache.__getitem__, words))
    except KeyError:  # the cache was cleared while filling it: compute without it
        total = sum(cache.get(w) or _spread(w) for w in words)
    half = len(words) // 2
    lanes = total.to_bytes(64 * _LANE_BITS // 8, "little")
    result = 0
    for bit in range(64):
        if lanes[2 * bit] | lanes[2 * bit + 1] << 8 > half:
            result |= 1 << bit
    return result


def simhash(text: str) -> int:
    """The 64-bit SimHash of ``text`` (0 for a text without words)."""
    return simhash_tokens(tokens(text))


def simhash_hex(text: str) -> str:
    """:func:`simhash` as 16 lower-case hex characters."""
    return f"{simhash(text):016x}"


def distance(a: int | str, b: int | str) -> int:
    """Hamming distance between two simhashes (ints or hex strings)."""
    x = int(a, 16) if isinstance(a, str) else a
    y = int(b, 16) if isinstance(b, str) else b
    return (x ^ y).bit_count()
