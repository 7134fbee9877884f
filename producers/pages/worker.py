"""One revisit of one article page: robots.txt, conditional GET, extraction, classified outcome.

``revisit`` never raises for a problem with the page; it returns a :class:`RevisitResult` whose
``outcome`` is one of :data:`producers.pages.revisit.OUTCOMES`. Extraction (CPU-bound lxml work)
runs in a worker thread so other fetches keep flowing.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from urllib.parse import urlsplit

from articles.extract import PageContent, extract
from producers.base import FetcherLike
from producers.fetch import Validators
from producers.pages.robots import RobotsCache

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class RevisitRequest:
    """What a revisit needs from the schedule entry (a snapshot: the entry may change meanwhile)."""

    article_id: str
    url: str
    etag: str | None
    last_modified: str | None
    content_fp: int | None


@dataclass(frozen=True)
class RevisitResult:
    """What one revisit found."""

    article_id: str
    outcome: str
    fetched_at: float
    fetch_outcome: str | None = None  # the Fetcher's outcome label (None: not fetched)
    status: int | None = None
    final_url: str | None = None
    etag: str | None = None
    last_modified: str | None = None
    content: PageContent | None = None
    reason: str | None = None  # missing: http_404, http_410, redirect_home; failed: the error
    extraction_failed: bool = False
    retry_after_s: float | None = None
    elapsed_s: float = 0.0


def redirected_home(url: str, final_url: str) -> bool:
    """True when ``url`` (an article) ended on the site's home page after redirects."""
    if final_url == url:
        return False
    try:
        start, end = urlsplit(url), urlsplit(final_url)
    except ValueError:
        return False
    return end.path in ("", "/") and not end.query and start.path not in ("", "/")


async def revisit(
    request: RevisitRequest,
    fetcher: FetcherLike,
    robots: RobotsCache | None,
    *,
    clock: Callable[[], float] = time.time,
    extractor: Callable[[bytes, str], PageContent | None] = extract,
) -> RevisitResult:
    """Check robots.txt, fetch the page conditionally, extract it, and classify the outcome."""
    url = request.url
    if robots is not None and not await robots.allowed(url):
        return RevisitResult(request.article_id, "refused", clock(), reason="robots.txt disallows")
    validators = Validators(etag=request.etag, last_modified=request.last_modified)
    result = await fetcher.fetch(url, validators)
    fetched_at = clock()
    base = RevisitResult(
        request.article_id, "failed", fetched_at, fetch_outcome=result.outcome, status=result.status,
        final_url=result.final_url, etag=result.etag, last_modified=result.last_modified,
        elapsed_s=result.elapsed_s,
    )  # fmt: skip
    if result.outcome == "not_modified":
        return replace(base, outcome="unchanged")
    if result.status in (404, 410):
        return replace(base, outcome="missing", reason=f"http_{result.status}")
    if result.outcome == "ok" and redirected_home(url, result.final_url):
        return replace(base, outcome="missing", reason="redirect_home")
    if result.outcome != "ok":
        return replace(base, reason=result.error, retry_after_s=result.retry_after_s)
    try:
        content = await asyncio.to_thread(extractor, result.body or b"", result.final_url)
    except Exception as exc:  # noqa: BLE001 - a page that breaks the extractor is one failed revisit
        log.warning("extraction of %s raised %s: %s", url, type(exc).__name__, exc)
        content = None
    if content is None:
        return replace(base, reason="no main text", extraction_failed=True)
    outcome = "unchanged" if content.fingerprint() == request.content_fp else "changed"
    return replace(base, outcome=outcome, content=content)
