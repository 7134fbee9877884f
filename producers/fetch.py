"""A polite async feed fetcher: conditional GET, bounded bodies, manual redirects, SSRF guard.

``Fetcher.fetch`` never raises for a problem with one feed; it returns a :class:`FetchResult` whose
``outcome`` names what happened (the metric label) and whose ``error`` says it in words:

    ok             2xx; ``body`` holds the decoded bytes (possibly empty)
    not_modified   304 to a conditional request; ``body`` is None
    gone           410: the feed should be disabled
    rate_limited   429 or 503; ``retry_after_s`` from Retry-After when the server sent one
    http_error     any other 4xx/5xx, too many redirects or a redirect loop, an unsupported encoding
    timeout        connect, read or total timeout
    too_large      more than ``max_bytes`` on the wire or after decompression
    blocked        the SSRF guard refused the URL or one of its redirects
    network_error  DNS failure, refused connection, reset, corrupt compressed body, ...

Bodies are decompressed here (gzip, deflate, br) rather than by aiohttp, chunk by chunk with an
output budget, so a compression bomb stops after ``max_bytes`` of output and never more memory.
The total timeout covers every redirect hop and the body, so a server that trickles one byte a
second cannot hold a slot; it starts once the per-host and global slots are held, so a feed that
waits its turn behind others on the same host is not timed out for waiting.
"""

from __future__ import annotations

import asyncio
import logging
import time
import zlib
from collections.abc import Mapping
from dataclasses import dataclass
from types import TracebackType
from typing import Any, Protocol
from urllib.parse import urljoin, urlsplit

import aiohttp
import brotli

from newsstream.config import Config
from producers.schedule import parse_retry_after
from producers.ssrf import AddressPolicy, BlockedAddressError, GuardedResolver, check_url

log = logging.getLogger(__name__)

ACCEPT = (
    "application/rss+xml, application/atom+xml, application/feed+json, application/rdf+xml;q=0.9, "
    "application/xml;q=0.9, text/xml;q=0.9, application/json;q=0.8, text/html;q=0.5, */*;q=0.1"
)
ACCEPT_ENCODING = "gzip, deflate, br"
REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})
PERMANENT_REDIRECTS = frozenset({301, 308})
#: Request headers that must not follow a redirect to another origin.
_CREDENTIAL_HEADERS = frozenset({"authorization", "cookie", "proxy-authorization"})
_CHUNK = 64 * 1024


@dataclass(frozen=True)
class FetchSettings:
    """Limits and identity of one Fetcher (one per producer process)."""

    user_agent: str
    max_bytes: int = 10 * 1024 * 1024
    connect_timeout: float = 10
    read_timeout: float = 20
    total_timeout: float = 60
    max_redirects: int = 5
    global_limit: int = 100
    per_host_limit: int = 2
    allow_private_addresses: bool = False
    #: Networks (CIDR) the SSRF guard lets through even when private addresses are refused.
    allowed_networks: tuple[str, ...] = ()

    @classmethod
    def from_config(cls, config: Config, **overrides: Any) -> FetchSettings:
        """The settings every fetching stage derives from the process configuration."""
        return cls(
            user_agent=config.user_agent,
            allow_private_addresses=config.allow_private_addresses,
            allowed_networks=config.allowed_networks,
            **overrides,
        )


@dataclass(frozen=True)
class Validators:
    """What a previous response said, sent back as If-None-Match / If-Modified-Since."""

    etag: str | None = None
    last_modified: str | None = None


@dataclass(frozen=True)
class FetchResult:
    """What one fetch produced; see the module docstring for ``outcome``."""

    url: str
    final_url: str
    status: int | None
    outcome: str
    body: bytes | None
    headers: dict[str, str]  # lower-case names
    etag: str | None
    last_modified: str | None
    permanent_redirect: str | None  # new URL when a 301/308 chain ended somewhere else
    retry_after_s: float | None
    error: str | None
    elapsed_s: float
    bytes_read: int


class _Failure(Exception):
    """Internal: ends a fetch with a named outcome."""

    def __init__(self, outcome: str, message: str) -> None:
        super().__init__(message)
        self.outcome = outcome


class _Decoder(Protocol):
    def decode(self, data: bytes, budget: int) -> bytes: ...
    def finish(self) -> bytes: ...


class _Identity:
    def decode(self, data: bytes, budget: int) -> bytes:
        return data

    def finish(self) -> bytes:
        return b""


class _Zlib:
    """gzip (also multi-member) or deflate (zlib-wrapped, or raw as some servers send it)."""

    def __init__(self, gzip: bool) -> None:
        self._gzip = gzip
        self._d: zlib._Decompress | None = zlib.decompressobj(16 + zlib.MAX_WBITS) if gzip else None

    def decode(self, data: bytes, budget: int) -> bytes:
        out = bytearray()
        while data:
            if self._d is None:  # deflate: a zlib header has CMF 0x?8 and (CMF*256+FLG) % 31 == 0
                wrapped = len(data) >= 2 and data[0] & 0x0F == 8 and (data[0] << 8 | data[1]) % 31 == 0
                self._d = zlib.decompressobj(zlib.MAX_WBITS if wrapped else -zlib.MAX_WBITS)
            if self._d.eof:
                if not self._gzip:
                    break  # trailing bytes after a deflate stream are ignored, as browsers do
                self._d = zlib.decompressobj(16 + zlib.MAX_WBITS)  # next gzip member
            chunk = self._d.decompress(data, budget - len(out) + 1)
            out += chunk
            if len(out) > budget:
                raise _Failure("too_large", "decompressed body is larger than the cap")
            data = self._d.unused_data if self._d.eof else b""
        return bytes(out)

    def finish(self) -> bytes:
        if self._d is not None and not self._d.eof:
            raise _Failure("network_error", "compressed body ended before its end-of-stream marker")
        return b""


class _Brotli:
    def __init__(self) -> None:
        self._d = brotli.Decompressor()

    def decode(self, data: bytes, budget: int) -> bytes:
        out = self._d.process(data, output_buffer_limit=budget + 1)
        if len(out) > budget:
            raise _Failure("too_large", "decompressed body is larger than the cap")
        return bytes(out)

    def finish(self) -> bytes:
        if not self._d.is_finished():
            raise _Failure("network_error", "brotli body ended before its end-of-stream marker")
        return b""


def _decoder(content_encoding: str) -> _Decoder:
    encoding = content_encoding.strip().lower()
    if encoding in ("", "identity"):
        return _Identity()
    if encoding in ("gzip", "x-gzip"):
        return _Zlib(gzip=True)
    if encoding == "deflate":
        return _Zlib(gzip=False)
    if encoding == "br":
        return _Brotli()
    raise _Failure("http_error", f"unsupported Content-Encoding {content_encoding!r}")


def _lower_headers(raw: Mapping[str, str]) -> dict[str, str]:
    headers: dict[str, str] = {}
    for name, value in raw.items():
        key = name.lower()
        headers[key] = f"{headers[key]}, {value}" if key in headers else value
    return headers


def _origin(url: str) -> tuple[str, str, int | None]:
    try:
        parts = urlsplit(url)
        return parts.scheme.lower(), (parts.hostname or "").lower(), parts.port
    except ValueError:  # a malformed URL (bad port, unbalanced brackets): check_url reports it
        return "", url, None


def _outcome_for_status(status: int) -> str:
    if 200 <= status < 300:
        return "ok"
    if status == 304:
        return "not_modified"
    if status == 410:
        return "gone"
    if status in (429, 503):
        return "rate_limited"
    return "http_error"


class Fetcher:
    """Owns one aiohttp session; use as ``async with Fetcher(settings) as f: await f.fetch(url)``."""

    def __init__(self, settings: FetchSettings) -> None:
        self.settings = settings
        self.policy = AddressPolicy(settings.allow_private_addresses, settings.allowed_networks)
        self._session: aiohttp.ClientSession | None = None
        self._global = asyncio.Semaphore(settings.global_limit)
        self._hosts: dict[str, asyncio.Semaphore] = {}

    async def __aenter__(self) -> Fetcher:
        s = self.settings
        connector = aiohttp.TCPConnector(
            limit=s.global_limit,
            limit_per_host=s.per_host_limit,
            resolver=GuardedResolver(self.policy),
        )
        self._session = aiohttp.ClientSession(
            connector=connector,
            timeout=aiohttp.ClientTimeout(total=None, sock_connect=s.connect_timeout, sock_read=s.read_timeout),
            auto_decompress=False,
            cookie_jar=aiohttp.DummyCookieJar(),  # feeds are fetched anonymously; no state between feeds
            headers={"User-Agent": s.user_agent, "Accept": ACCEPT, "Accept-Encoding": ACCEPT_ENCODING},
        )
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.close()

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None

    def _host_slot(self, url: str) -> asyncio.Semaphore:
        key = "{}://{}:{}".format(*_origin(url))
        slot = self._hosts.get(key)
        if slot is None:
            slot = self._hosts[key] = asyncio.Semaphore(self.settings.per_host_limit)
        return slot

    async def fetch(
        self, url: str, validators: Validators | None = None, headers: Mapping[str, str] | None = None
    ) -> FetchResult:
        """Fetch ``url`` once (following redirects); every per-feed failure is a result, not an exception."""
        if self._session is None:
            raise RuntimeError("Fetcher is not open: use 'async with Fetcher(settings) as fetcher'")
        async with self._host_slot(url), self._global:
            return await self._fetch(url, validators or Validators(), headers or {})

    async def _fetch(self, url: str, validators: Validators, extra: Mapping[str, str]) -> FetchResult:
        started = time.monotonic()
        state = _Progress(url)
        deadline = asyncio.timeout(self.settings.total_timeout)
        try:
            async with deadline:
                return await self._follow(state, validators, extra, started)
        except _Failure as failure:
            return state.result(failure.outcome, str(failure), started)
        except TimeoutError as exc:
            if deadline.expired():
                what = f"total timeout: no complete response within {self.settings.total_timeout:g} s"
            else:
                what = f"{type(exc).__name__}: {exc or 'connect or read timeout'}"
            return state.result("timeout", what, started)
        except aiohttp.ClientConnectorError as exc:  # the guard's refusal arrives wrapped in this
            cause = exc.__cause__
            if isinstance(cause, BlockedAddressError):
                hop = f"redirect to {state.final_url}: " if state.final_url != state.url else ""
                return state.result("blocked", hop + cause.reason, started)
            return state.result("network_error", f"{type(exc).__name__}: {exc}", started)
        except (aiohttp.ClientError, OSError, ValueError) as exc:
            return state.result("network_error", f"{type(exc).__name__}: {exc}", started)
        except Exception as exc:  # a bug here must not stop the other feeds; it is logged with its traceback
            log.exception("unexpected error fetching %s", state.url)
            return state.result("network_error", f"unexpected {type(exc).__name__}: {exc}", started)

    async def _follow(
        self, state: _Progress, validators: Validators, extra: Mapping[str, str], started: float
    ) -> FetchResult:
        assert self._session is not None  # noqa: S101 - checked by fetch()
        request_headers = dict(extra)
        if validators.etag:
            request_headers["If-None-Match"] = validators.etag
        if validators.last_modified:
            request_headers["If-Modified-Since"] = validators.last_modified
        seen = {state.final_url}
        for hop in range(self.settings.max_redirects + 1):
            reason = check_url(state.final_url, self.policy)
            if reason is not None:
                raise _Failure("blocked", reason if hop == 0 else f"redirect to {state.final_url}: {reason}")
            async with self._session.get(state.final_url, headers=request_headers, allow_redirects=False) as response:
                state.status = response.status
                state.headers = _lower_headers(response.headers)
                location = state.headers.get("location")
                if response.status in REDIRECT_STATUSES and location:
                    target = urljoin(state.final_url, location)
                    state.redirected(response.status, target)
                    if _origin(target) != _origin(state.url):
                        request_headers = {
                            k: v for k, v in request_headers.items() if k.lower() not in _CREDENTIAL_HEADERS
                        }
                    if target in seen:
                        raise _Failure("http_error", f"redirect loop: {target} was already visited")
                    seen.add(target)
                    continue
                state.completed = True
                outcome = _outcome_for_status(response.status)
                if outcome == "ok":
                    state.body = await self._read_body(response, state)
                elif outcome == "rate_limited":
                    state.retry_after_s = parse_retry_after(state.headers.get("retry-after"), time.time())
                if outcome == "not_modified":
                    state.etag = state.headers.get("etag") or validators.etag
                    state.last_modified = state.headers.get("last-modified") or validators.last_modified
                else:
                    state.etag = state.headers.get("etag")
                    state.last_modified = state.headers.get("last-modified")
                error = None if outcome in ("ok", "not_modified") else f"HTTP {response.status} {response.reason}"
                return state.result(outcome, error, started)
        raise _Failure("http_error", f"too many redirects (more than {self.settings.max_redirects})")

    async def _read_body(self, response: aiohttp.ClientResponse, state: _Progress) -> bytes:
        cap = self.settings.max_bytes
        if response.content_length is not None and response.content_length > cap:
            raise _Failure("too_large", f"Content-Length {response.content_length} is over the {cap}-byte cap")
        decoder = _decoder(response.headers.get("Content-Encoding", ""))
        body = bytearray()
        async for chunk in response.content.iter_chunked(_CHUNK):
            state.bytes_read += len(chunk)
            if state.bytes_read > cap:
                raise _Failure("too_large", f"more than {cap} bytes on the wire")
            try:
                body += decoder.decode(chunk, cap - len(body))
            except (zlib.error, brotli.error) as exc:
                raise _Failure("network_error", f"corrupt compressed body: {exc}") from None
        body += decoder.finish()
        return bytes(body)


class _Progress:
    """What is known so far about one fetch, so a failure mid-way still reports status and URL."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.final_url = url
        self.status: int | None = None
        self.headers: dict[str, str] = {}
        self.body: bytes | None = None
        self.etag: str | None = None
        self.last_modified: str | None = None
        self.retry_after_s: float | None = None
        self.bytes_read = 0
        self._permanent: str | None = None
        self._all_permanent = True
        self.completed = False  # a final (non-redirect) response arrived

    def redirected(self, status: int, target: str) -> None:
        if self._all_permanent and status in PERMANENT_REDIRECTS:
            self._permanent = target
        else:
            self._all_permanent = False
        self.final_url = target

    def result(self, outcome: str, error: str | None, started: float) -> FetchResult:
        permanent = self._permanent if self.completed and self._permanent != self.url else None
        return FetchResult(
            url=self.url,
            final_url=self.final_url,
            status=self.status,
            outcome=outcome,
            body=self.body if outcome == "ok" else None,
            headers=self.headers,
            etag=self.etag,
            last_modified=self.last_modified,
            permanent_redirect=permanent,
            retry_after_s=self.retry_after_s,
            error=error,
            elapsed_s=time.monotonic() - started,
            bytes_read=self.bytes_read,
        )
