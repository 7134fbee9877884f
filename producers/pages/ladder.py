"""The age ladder: when an article page is revisited, counted from the article's first sighting. Pure.

A ladder is a sorted tuple of offsets in seconds (default 15 min, 1 h, 3 h, 12 h, 1 d, 3 d, 7 d,
30 d); after the last step the page is never fetched again. An empty ladder switches revisits off.

Overdue steps collapse: when a revisit happens late (a backlog, a restart after downtime), the
steps whose time has also passed are skipped, so a late article gets one revisit now and then
continues at the next step still in the future, never a catch-up burst of several fetches.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

# The ladder and duration grammar is parsed where the settings are read (NEWSSTREAM_PAGES_* and the
# flags share it); re-exported here, where the schedule logic lives.
from producers.pages.settings import DEFAULT_LADDER, Ladder, parse_duration, parse_ladder

__all__ = [
    "DEFAULT_LADDER", "Ladder", "LadderPolicy", "first_step", "format_ladder", "lateness_tolerance", "next_step",
    "parse_duration", "parse_ladder",
]  # fmt: skip

_UNITS = {"s": 1.0, "m": 60.0, "h": 3600.0, "d": 86400.0}


def format_ladder(ladder: Ladder) -> str:
    """The inverse of :func:`parse_ladder`, with the largest exact unit per step."""
    if not ladder:
        return "off"
    out = []
    for step in ladder:
        for unit in ("d", "h", "m", "s"):
            size = _UNITS[unit]
            if step >= size and step % size == 0:
                out.append(f"{int(step // size)}{unit}")
                break
        else:
            out.append(f"{step:g}s")
    return ",".join(out)


@dataclass(frozen=True)
class LadderPolicy:
    """The default ladder and per-publisher overrides (an empty ladder = that publisher is off)."""

    default: Ladder = DEFAULT_LADDER
    per_publisher: Mapping[str, Ladder] = field(default_factory=dict)

    def ladder_for(self, publisher: str | None) -> Ladder:
        if publisher is not None:
            found = self.per_publisher.get(publisher)
            if found is None:
                found = self.per_publisher.get(publisher.casefold())
            if found is not None:
                return found
        return self.default

    @property
    def longest(self) -> float:
        """The last step of the longest ladder: older articles are never scheduled."""
        lasts = [ladder[-1] for ladder in (self.default, *self.per_publisher.values()) if ladder]
        return max(lasts, default=0.0)


def first_step(ladder: Ladder, first_seen: float, now: float) -> tuple[int, float] | None:
    """(step index, due time) for an article first seen at ``first_seen`` and learned at ``now``.

    Learned late (steps already passed): the latest passed step, due at once, stands for all of
    them. ``None`` when the ladder is empty or the article is older than its last step.
    """
    if not ladder or now >= first_seen + ladder[-1] + _grace(ladder[-1]):
        return None
    passed = [i for i, offset in enumerate(ladder) if first_seen + offset <= now]
    index = passed[-1] if passed else 0
    return index, first_seen + ladder[index]


def next_step(ladder: Ladder, first_seen: float, done_index: int, now: float) -> tuple[int, float] | None:
    """The step after ``done_index`` whose time is still ahead of ``now`` (overdue ones skipped);
    ``None`` after the last step."""
    for index in range(done_index + 1, len(ladder)):
        due = first_seen + ladder[index]
        if due > now:
            return index, due
    return None


def _grace(offset: float) -> float:
    """How late the last step may still be done (a tenth of it, at most a day)."""
    return min(offset / 10, 86400.0)


def lateness_tolerance(offset: float) -> float:
    """A revisit later than this after its due time counts as overdue: 10% of the step, 1 s to 1 h."""
    return max(1.0, min(offset / 10, 3600.0))
