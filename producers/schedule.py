"""When to fetch each feed next: pure functions, no I/O, clock and randomness injected.

Rules, in the order they apply:

* **Success.** The base interval is the feed's configured interval (default 300 s). When enough
  entry times are known it follows the feed's publishing rate instead: the median gap between its
  recent entries, halved (so a new entry waits on average a quarter of a gap before it is seen),
  kept within a factor of :data:`ADAPT_FACTOR` of the configured interval, so what the operator
  wrote still bounds it (a feed configured at 5 min is never left for hours because its entries
  carry old dates, nor hammered because two entries share a minute).
  Server hints then raise it, never lower it: RSS ``ttl`` (minutes), ``Cache-Control: max-age`` and
  ``Expires``. The result is clamped to [floor, ceiling] (default 60 s .. 6 h) and jittered by
  +/- ``jitter`` (10 %) so feeds on one host do not fall into lock-step.
* **Error.** Exponential backoff with full jitter: uniform(0, min(ceiling, base * 2**(n-1))),
  never sooner than the floor; a Retry-After from the server wins when it is longer (capped at
  the ceiling). Errors never drop a feed.
* **410 Gone** disables the feed (it stays visible in state and status, with its last error).
"""

from __future__ import annotations

import email.utils
import math
import random
import re
import statistics
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, replace
from datetime import UTC, datetime

DEFAULT_INTERVAL_S = 300.0
DEFAULT_FLOOR_S = 60.0
DEFAULT_CEILING_S = 6 * 3600.0
DEFAULT_ERROR_BASE_S = 60.0
DEFAULT_JITTER = 0.1
#: How far the publishing rate may move the interval away from the configured one (both ways).
ADAPT_FACTOR = 4.0
#: Entry times needed before the publishing rate replaces the configured interval.
MIN_ENTRIES_FOR_RATE = 3
#: How many of the most recent entry times the rate is taken from.
RATE_WINDOW = 20

Random = Callable[[], float]  # uniform in [0, 1), like random.random


@dataclass(frozen=True)
class SchedulePolicy:
    """Bounds and defaults; one per producer (a feed's own ``interval`` overrides ``interval_s``)."""

    interval_s: float = DEFAULT_INTERVAL_S
    floor_s: float = DEFAULT_FLOOR_S
    ceiling_s: float = DEFAULT_CEILING_S
    error_base_s: float = DEFAULT_ERROR_BASE_S
    error_ceiling_s: float = DEFAULT_CEILING_S
    jitter: float = DEFAULT_JITTER
    adaptive: bool = True


@dataclass(frozen=True)
class Hints:
    """Freshness hints a server or feed gave, in seconds from now (None when absent)."""

    ttl_s: float | None = None
    max_age_s: float | None = None
    expires_s: float | None = None

    def longest(self) -> float | None:
        values = [v for v in (self.ttl_s, self.max_age_s, self.expires_s) if v is not None]
        return max(values) if values else None


@dataclass(frozen=True)
class FeedTiming:
    """A feed's schedule state; persisted with the rest of the fetch state."""

    interval_s: float = DEFAULT_INTERVAL_S
    next_due: float = 0.0
    consecutive_errors: int = 0
    disabled: bool = False
    last_error: str | None = None
    last_success: float | None = None
    learned_interval_s: float | None = None  # half the median gap between entries, when known


def _clamp(value: float, policy: SchedulePolicy) -> float:
    return min(policy.ceiling_s, max(policy.floor_s, value))


def publishing_interval(entry_times: Iterable[float]) -> float | None:
    """Half the median gap between the most recent distinct entry times (epoch seconds), or None."""
    times = sorted(set(entry_times))[-RATE_WINDOW:]
    if len(times) < MIN_ENTRIES_FOR_RATE:
        return None
    gaps = [b - a for a, b in zip(times, times[1:], strict=False)]
    return statistics.median(gaps) / 2


def base_interval(
    policy: SchedulePolicy,
    configured_s: float | None = None,
    entry_times: Iterable[float] = (),
    hints: Hints | None = None,
    learned_s: float | None = None,
) -> float:
    """The un-jittered interval after a success, clamped to the policy's bounds.

    ``learned_s`` is a publishing interval observed earlier; it stands in when ``entry_times`` are
    too few (a 304 carries no entries, so the rate learned from the last 200 is kept).
    """
    interval = configured_s if configured_s is not None else policy.interval_s
    if policy.adaptive:
        observed = publishing_interval(entry_times)
        if observed is None:
            observed = learned_s
        if observed is not None:
            interval = min(interval * ADAPT_FACTOR, max(interval / ADAPT_FACTOR, observed))
    hinted = hints.longest() if hints is not None else None
    if hinted is not None:
        interval = max(interval, hinted)
    return _clamp(interval, policy)


def after_success(
    timing: FeedTiming,
    now: float,
    policy: SchedulePolicy,
    rand: Random = random.random,
    *,
    configured_s: float | None = None,
    entry_times: Iterable[float] = (),
    hints: Hints | None = None,
) -> FeedTiming:
    """The timing after a successful fetch (200 or 304): errors reset, next due after one interval."""
    times = list(entry_times)
    learned = publishing_interval(times) or timing.learned_interval_s
    interval = base_interval(policy, configured_s, times, hints, timing.learned_interval_s)
    jittered = interval * (1 + policy.jitter * (2 * rand() - 1))
    return replace(
        timing,
        interval_s=interval,
        next_due=now + max(policy.floor_s, jittered),
        consecutive_errors=0,
        last_error=None,
        last_success=now,
        learned_interval_s=learned,
    )


def after_error(
    timing: FeedTiming,
    now: float,
    policy: SchedulePolicy,
    rand: Random = random.random,
    *,
    error: str,
    retry_after_s: float | None = None,
    gone: bool = False,
) -> FeedTiming:
    """The timing after a failed fetch: backoff with full jitter, Retry-After honoured, 410 disables."""
    errors = timing.consecutive_errors + 1
    if gone:
        return replace(timing, consecutive_errors=errors, disabled=True, last_error=error, next_due=math.inf)
    cap = min(policy.error_ceiling_s, policy.error_base_s * 2 ** min(errors - 1, 62))
    delay = max(policy.floor_s, rand() * cap)
    if retry_after_s is not None:
        delay = max(delay, min(retry_after_s, policy.error_ceiling_s))
    return replace(timing, consecutive_errors=errors, last_error=error, next_due=now + delay)


def parse_http_date(value: str) -> datetime | None:
    """An HTTP date (RFC 9110: IMF-fixdate, RFC 850 or asctime) as an aware UTC datetime, or None."""
    try:
        parsed = email.utils.parsedate_to_datetime(value.strip())
    except (TypeError, ValueError, IndexError):
        return None
    if parsed is None:
        return None
    return parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed.astimezone(UTC)


def parse_retry_after(value: str | None, now: float) -> float | None:
    """Retry-After as seconds from ``now`` (epoch): delta-seconds or an HTTP date; None if unusable."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    when = parse_http_date(value)
    if when is None:
        return None
    return max(0.0, when.timestamp() - now)


_MAX_AGE = re.compile(r"(?:^|,)\s*(s-maxage|max-age)\s*=\s*\"?(\d+)\"?", re.IGNORECASE)


def hints_from_headers(headers: Mapping[str, str], now: float, ttl_minutes: float | None = None) -> Hints:
    """Freshness hints from response headers (lower-case names) plus the feed's RSS ``ttl`` in minutes.

    ``no-cache``/``no-store`` give no hint (they say nothing about when the feed changes).
    max-age takes precedence over Expires, as in HTTP caching; s-maxage counts as max-age.
    """
    max_age: float | None = None
    cache_control = headers.get("cache-control", "")
    ages = [float(m.group(2)) for m in _MAX_AGE.finditer(cache_control)]
    if ages:
        max_age = max(ages)
    expires: float | None = None
    if max_age is None and "expires" in headers:
        when = parse_http_date(headers["expires"])
        if when is not None:
            reference = parse_http_date(headers.get("date", "")) if headers.get("date") else None
            base = reference.timestamp() if reference is not None else now
            expires = max(0.0, when.timestamp() - base)
    ttl = ttl_minutes * 60 if ttl_minutes is not None and ttl_minutes > 0 else None
    return Hints(ttl_s=ttl, max_age_s=max_age, expires_s=expires)


def is_due(timing: FeedTiming, now: float) -> bool:
    """True when the feed should be fetched now."""
    return not timing.disabled and now >= timing.next_due
