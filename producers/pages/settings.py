"""The pages stage's settings from the environment: the ladder and duration grammar, and the
``NEWSSTREAM_PAGES_*`` variables (its flags override them, in ``newsstream pages``). Pure."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field

from newsstream.config import EnvReader

#: Revisit offsets after an article's first sighting, in seconds (``()`` = no revisits).
Ladder = tuple[float, ...]

#: The pages stage's default age ladder: 15 min, 1 h, 3 h, 12 h, 1 d, 3 d, 7 d, 30 d.
DEFAULT_LADDER: Ladder = (
    15 * 60.0, 3600.0, 3 * 3600.0, 12 * 3600.0, 86400.0, 3 * 86400.0, 7 * 86400.0, 30 * 86400.0,
)  # fmt: skip

_DURATION_UNITS = {"s": 1.0, "m": 60.0, "h": 3600.0, "d": 86400.0, "w": 7 * 86400.0}
_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([smhdw]?)\s*$", re.IGNORECASE)
_LADDER_OFF = ("off", "none", "never", "")


def parse_duration(text: str) -> float:
    """``"15m"`` -> 900.0; units s, m, h, d, w (seconds when none). ValueError when malformed."""
    match = _DURATION.match(text)
    if match is None:
        raise ValueError(f"{text!r} is not a duration (e.g. 30s, 15m, 1h, 3d, 1w)")
    return float(match.group(1)) * _DURATION_UNITS[(match.group(2) or "s").lower()]


def parse_ladder(text: str) -> Ladder:
    """``"15m,1h,3h"`` -> (900.0, 3600.0, 10800.0); ``"off"`` -> () (no revisits). ValueError when malformed."""
    if text.strip().lower() in _LADDER_OFF:
        return ()
    steps = tuple(parse_duration(part) for part in text.split(","))
    if any(s <= 0 for s in steps):
        raise ValueError(f"ladder {text!r}: every step must be after the first sighting (> 0)")
    if list(steps) != sorted(set(steps)):
        raise ValueError(f"ladder {text!r}: steps must be strictly increasing")
    return steps


def parse_publisher_ladders(text: str) -> dict[str, Ladder]:
    """``"Rudaw=15m,1h;Daily Wire=off"`` -> {"Rudaw": (900.0, 3600.0), "Daily Wire": ()}."""
    ladders: dict[str, Ladder] = {}
    for item in text.split(";"):
        if not item.strip():
            continue
        name, sep, steps = item.rpartition("=")
        name = name.strip()
        if not sep or not name:
            raise ValueError(f"{item.strip()!r}: expected PUBLISHER=STEPS")
        if name in ladders:
            raise ValueError(f"publisher {name!r} is given twice")
        ladders[name] = parse_ladder(steps)
    return ladders


@dataclass(frozen=True)
class PagesConfig:
    """How ``newsstream pages`` schedules revisits and paces them (its flags override these)."""

    #: Revisit offsets after first sighting, for every publisher without its own ladder.
    ladder: Ladder = DEFAULT_LADDER
    #: Per-publisher ladders, by the publisher name NormalizedArticle carries (``()`` = off).
    publisher_ladders: Mapping[str, Ladder] = field(default_factory=dict)
    #: Seconds between two requests to one host.
    host_delay_seconds: float = 5.0
    #: A second 404/410 at least this long after the first makes a page gone.
    gone_confirm_seconds: float = 600.0
    #: Articles published longer ago than this are not scheduled; 0 = no limit.
    max_age_seconds: float = 30 * 86400.0

    @classmethod
    def from_env(cls, environ: Mapping[str, str]) -> PagesConfig:
        """Read the NEWSSTREAM_PAGES_* variables; ConfigError names the first bad one."""
        reader = EnvReader(environ)
        return cls(
            ladder=reader.parsed("NEWSSTREAM_PAGES_LADDER", parse_ladder, DEFAULT_LADDER),
            publisher_ladders=reader.parsed("NEWSSTREAM_PAGES_PUBLISHER_LADDERS", parse_publisher_ladders, {}),
            host_delay_seconds=reader.non_negative_float("NEWSSTREAM_PAGES_HOST_DELAY_SECONDS", 5.0),
            gone_confirm_seconds=reader.parsed("NEWSSTREAM_PAGES_GONE_CONFIRM", parse_duration, 600.0),
            max_age_seconds=reader.parsed("NEWSSTREAM_PAGES_MAX_AGE", parse_duration, 30 * 86400.0),
        )
