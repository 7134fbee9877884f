"""Decompression bombs through the real ``Fetcher`` from a real HTTP server on loopback.

tests/integration/test_fetch.py already proves a 1 GiB gzip bomb and a one-shot brotli bomb stop
at the cap. Here: deflate (zlib-wrapped and raw), a gzip stream of many small members (each one
harmless alone), brotli streamed in chunks, and stacked encodings (``gzip, gzip``, a bomb inside a
bomb), each with memory measured by tracemalloc and the bytes actually read off the wire.
"""

from __future__ import annotations

import asyncio
import gzip
import tracemalloc
import zlib
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler
from typing import Any

import brotli
import pytest

from producers.fetch import Fetcher, FetchResult, FetchSettings
from tests.integration.test_fetch import Site, send, send_chunked

CAP = 2 * 1024 * 1024  # the fetcher's output cap for these tests (the default is 10 MiB)
MIB = 1 << 20
READ_CHUNK = 64 * 1024  # what the fetcher reads off the socket at a time


def _zlib_bomb(mib: int, wbits: int) -> list[bytes]:
    comp = zlib.compressobj(9, zlib.DEFLATED, wbits)
    zeros = bytes(MIB)
    return [comp.compress(zeros) for _ in range(mib)] + [comp.flush()]


def _gzip_members(mib: int) -> list[bytes]:
    """``mib`` separate gzip members of 1 MiB of zeros each: each member is small, the stream is not."""
    member = gzip.compress(bytes(MIB), 9)
    return [member] * mib


def _brotli_bomb(mib: int) -> list[bytes]:
    wire = brotli.compress(bytes(mib * MIB), quality=5)
    return [wire[i : i + 1024] for i in range(0, len(wire), 1024)]


BOMBS: dict[str, tuple[str, Callable[[], list[bytes]]]] = {
    "deflate_zlib": ("deflate", lambda: _zlib_bomb(256, zlib.MAX_WBITS)),
    "deflate_raw": ("deflate", lambda: _zlib_bomb(256, -zlib.MAX_WBITS)),
    "gzip_many_members": ("gzip", lambda: _gzip_members(256)),
    "brotli_streamed": ("br", lambda: _brotli_bomb(256)),
}


@pytest.fixture
def site() -> Iterator[Site]:
    s = Site().start()
    yield s
    s.stop()


def _fetch(url: str, **overrides: Any) -> FetchResult:
    settings = FetchSettings(user_agent="newsstream-test", allow_private_addresses=True, max_bytes=CAP, **overrides)

    async def go() -> FetchResult:
        async with Fetcher(settings) as fetcher:
            return await fetcher.fetch(url)

    return asyncio.run(go())


def _serve_stream(site: Site, pieces: list[bytes], encoding: str) -> list[int]:
    sent: list[int] = []

    def handle(req: BaseHTTPRequestHandler) -> None:
        def stream() -> Iterator[bytes]:
            for piece in pieces:
                sent.append(len(piece))
                yield piece

        send_chunked(req, stream(), Content_Encoding=encoding, Content_Type="application/rss+xml")

    site.routes["/bomb"] = handle
    return sent


@pytest.mark.timeout(60)
@pytest.mark.parametrize("name", sorted(BOMBS))
def test_bomb_stops_at_the_cap_with_bounded_memory(site: Site, name: str) -> None:
    encoding, make = BOMBS[name]
    pieces = make()
    wire_size = sum(map(len, pieces))
    assert encoding == "br" or wire_size > 2 * READ_CHUNK, "too small a bomb to show an early stop"
    _serve_stream(site, pieces, encoding)
    tracemalloc.start()
    try:
        result = _fetch(site.url("/bomb"))
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert result.outcome == "too_large" and "decompressed" in (result.error or ""), result.error
    assert result.body is None
    # The cap is crossed within the first read or two (64 KiB each): the rest of the bomb stays unread.
    assert result.bytes_read <= min(wire_size, 2 * READ_CHUNK), result.bytes_read
    assert peak < 4 * CAP + 8 * MIB, f"peak {peak / MIB:.1f} MiB for a {CAP / MIB:.0f} MiB cap"


@pytest.mark.parametrize("encoding", ["gzip", "br", "deflate"])
def test_the_cap_is_exact(site: Site, encoding: str) -> None:
    """A body that decompresses to exactly the cap is fine; one byte more is too large."""
    compress = {"gzip": gzip.compress, "br": brotli.compress, "deflate": zlib.compress}[encoding]
    site.routes["/at"] = lambda r: send(r, 200, compress(b"a" * CAP), Content_Encoding=encoding)
    site.routes["/over"] = lambda r: send(r, 200, compress(b"a" * (CAP + 1)), Content_Encoding=encoding)
    at = _fetch(site.url("/at"))
    assert at.outcome == "ok" and at.body is not None and len(at.body) == CAP
    assert _fetch(site.url("/over")).outcome == "too_large"


def test_stacked_encodings_are_refused_before_decoding(site: Site) -> None:
    """``Content-Encoding: gzip, gzip`` would multiply the ratio; the fetcher decodes one layer or none."""
    inner = gzip.compress(bytes(64 * MIB), 9)
    site.routes["/nested"] = lambda r: send(r, 200, gzip.compress(inner, 9), Content_Encoding="gzip, gzip")
    result = _fetch(site.url("/nested"))
    assert result.outcome == "http_error" and "unsupported Content-Encoding" in (result.error or "")
    assert result.body is None


def test_a_declared_small_length_does_not_bypass_the_output_cap(site: Site) -> None:
    """Content-Length is the wire size: a small one says nothing about the decompressed size."""
    wire = b"".join(_zlib_bomb(64, 16 + zlib.MAX_WBITS))
    site.routes["/bomb"] = lambda r: send(r, 200, wire, Content_Encoding="gzip")
    assert len(wire) < CAP
    result = _fetch(site.url("/bomb"))
    assert result.outcome == "too_large" and result.body is None
