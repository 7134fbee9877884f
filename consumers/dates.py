"""Article dates in UTC, written ``YYYY-MM-DDTHH:MM:SSZ``.

Where a date comes from, in order:

1. a purely numeric date as written (``05-11-2023``, ``05/11/2023 14:30``) is always read by the
   rules below, even when the producer parsed it: feedparser reads ``05-11-2023`` as 20 November
   2005;
2. the producer's parse (``entry.published.utc`` / ``entry.updated.utc``), already UTC;
3. our own parse of the date as written (``raw``):
   - RFC 822 / 2822 (``Sun, 05 Nov 2023 20:35:00 +0300``), ISO 8601 (``2023-11-05T20:35:00+03:00``,
     ``2023-11-05``), and numeric dates ``D-M-Y`` / ``M-D-Y`` with ``-``, ``/`` or ``.``, an
     optional ``HH:MM[:SS]`` and an optional ``am``/``pm``;
   - **no zone written**: the time is taken as UTC (a feed does not say which zone its naive times
     are in; UTC keeps the error under a day and is reproducible); a date without a time is
     midnight UTC;
   - **ambiguous day and month** (``05-11-2023``): **day first**, as most of the world writes it,
     so ``05-11-2023`` is 5 November 2023. Month first only when day-first is impossible
     (``11-25-2023`` is 25 November 2023);
   - two-digit years are 20YY; years before 1900 or after 9999 are rejected;
4. otherwise the fallback the caller gives (``fetched_at`` for ``published_at``; ``published_at``
   for ``updated_at``).
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime

_NUMERIC = re.compile(
    r"^\s*(?P<a>\d{1,4})[-/.](?P<b>\d{1,2})[-/.](?P<c>\d{1,4})"
    r"(?:[ T,]+(?P<h>\d{1,2})[:.](?P<mi>\d{2})(?:[:.](?P<s>\d{2}))?\s*(?P<ampm>[aApP]\.?[mM]\.?)?)?\s*$"
)
_UTC_FORMAT = "%Y-%m-%dT%H:%M:%SZ"
_CANONICAL = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z")


def format_utc(moment: datetime) -> str:
    """``moment`` as ``YYYY-MM-DDTHH:MM:SSZ`` (naive datetimes are taken as UTC)."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).strftime(_UTC_FORMAT)


def _valid(moment: datetime) -> datetime | None:
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    try:
        moment = moment.astimezone(UTC)
    except OverflowError:  # 9999-12-31T23:59:59-01:00 is past datetime.max once in UTC
        return None
    return moment if 1900 <= moment.year <= 9999 else None


def _numeric(raw: str) -> datetime | None:
    match = _NUMERIC.match(raw)
    if match is None:
        return None
    a, b, c = int(match["a"]), int(match["b"]), int(match["c"])
    if len(match["a"]) == 4:  # Y-M-D
        year, month, day = a, b, c
    else:
        year = c + 2000 if len(match["c"]) <= 2 else c
        day, month = a, b  # day first ...
        if month > 12 and day <= 12:  # ... unless impossible
            day, month = b, a
    hour = int(match["h"] or 0)
    minute = int(match["mi"] or 0)
    second = int(match["s"] or 0)
    ampm = (match["ampm"] or "").lower()
    if ampm.startswith("p") and hour < 12:
        hour += 12
    elif ampm.startswith("a") and hour == 12:
        hour = 0
    try:
        return datetime(year, month, day, hour, minute, second, tzinfo=UTC)
    except ValueError:
        return None


def parse(raw: str | None) -> datetime | None:
    """A date as written in a feed, in UTC; None when it cannot be read (see the module rules)."""
    if not raw or not raw.strip():
        return None
    text = raw.strip()
    moment = _numeric(text)
    if moment is None:
        try:
            moment = datetime.fromisoformat(text.replace("z", "Z"))
        except ValueError:
            try:
                moment = parsedate_to_datetime(text)
            except (TypeError, ValueError, IndexError):
                return None
    return _valid(moment)


def utc_string(field: object) -> str | None:
    """The ``YYYY-MM-DDTHH:MM:SSZ`` of a RawArticle date field ``{raw, utc}``, or None."""
    if not isinstance(field, dict):
        return None
    raw = field.get("raw")
    if isinstance(raw, str) and _NUMERIC.match(raw):
        moment = _numeric(raw)  # our day-first reading beats the producer's parse of such dates
        if moment is not None and _valid(moment) is not None:
            return format_utc(moment)
    utc = field.get("utc")
    if isinstance(utc, str) and utc:
        if len(utc) == 20 and _CANONICAL.match(utc):
            return utc
        moment = parse(utc)
        if moment is not None:
            return format_utc(moment)
    moment = parse(raw) if isinstance(raw, str) else None
    return format_utc(moment) if moment is not None else None


def epoch_ms(utc: object) -> int | None:
    """Epoch milliseconds of a UTC ISO 8601 string (``…T12:00:00.123Z``; fractions kept to the
    millisecond), or None when it is not one."""
    if not isinstance(utc, str) or not utc.endswith("Z"):
        return None
    try:
        moment = datetime.fromisoformat(utc[:-1] + "+00:00")
    except ValueError:
        return None
    return int(moment.timestamp() * 1000 + 0.5) if moment.year >= 1970 else None
