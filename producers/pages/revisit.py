"""What one revisit's outcome does to a schedule entry: the next step, gone pages. Pure.

Outcomes (what the stage observed, after robots.txt, fetch and extraction):

    changed        200 with a page version different from the last one emitted -> emit it
    unchanged      304, or 200 with the same version                          -> nothing to emit
    missing        404, 410, or a redirect to the site's home page
    failed         timeout, 5xx, 429, blocked, too large, network error, unreadable page
    refused        robots.txt disallows the URL (never fetched)

A page is *gone* when it answers ``missing`` twice, at least ``gone_confirm_s`` apart, after it was
once fetched successfully (a URL that never worked is not an unpublished article): the entry then
finishes with a ``gone`` emission, which becomes an ``unpublished`` event downstream. Anything but
``missing`` resets the count. Every other outcome moves to the next ladder step still ahead (the
ladder's overdue collapse); past the last step the entry finishes.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from producers.pages.ladder import LadderPolicy, first_step, next_step
from producers.pages.schedule import PageEntry

OUTCOMES = ("changed", "unchanged", "missing", "failed", "refused")


@dataclass(frozen=True)
class RevisitSettings:
    """The ladder policy and how a gone page is confirmed."""

    policy: LadderPolicy = field(default_factory=LadderPolicy)
    #: The second not-found answer must come at least this long after the first.
    gone_confirm_s: float = 600.0


@dataclass(frozen=True)
class Decision:
    """``emit``: "article" (the new page version), "gone", or None; ``finished``: forget the entry."""

    emit: str | None
    finished: bool


def schedule_new(
    article_id: str,
    url: str,
    *,
    publisher: str | None,
    feed_url: str | None,
    partition: int,
    first_seen: float,
    now: float,
    settings: RevisitSettings,
) -> PageEntry | None:
    """A new entry for an article first seen at ``first_seen``; None when its ladder is off or over."""
    step = first_step(settings.policy.ladder_for(publisher), first_seen, now)
    if step is None:
        return None
    return PageEntry(
        article_id, url, publisher=publisher, feed_url=feed_url, partition=partition,
        first_seen=first_seen, step=step[0], next_due=step[1],
    )  # fmt: skip


def apply_outcome(
    entry: PageEntry,
    outcome: str,
    now: float,
    settings: RevisitSettings,
    *,
    content_fp: int | None = None,
    etag: str | None = None,
    last_modified: str | None = None,
) -> Decision:
    """Update ``entry`` in place for one revisit's ``outcome`` at ``now`` and say what to emit."""
    if outcome not in OUTCOMES:
        raise ValueError(f"unknown revisit outcome {outcome!r}")
    if outcome == "missing" and entry.content_fp is not None:
        if entry.misses == 0 or entry.first_miss is None:
            entry.misses, entry.first_miss = 1, now
            entry.next_due = now + settings.gone_confirm_s  # confirm before calling it gone
            return Decision(None, finished=False)
        if now - entry.first_miss >= settings.gone_confirm_s:
            entry.misses += 1
            return Decision("gone", finished=True)
        entry.next_due = entry.first_miss + settings.gone_confirm_s
        return Decision(None, finished=False)
    entry.misses, entry.first_miss = 0, None
    emit = None
    if outcome in ("changed", "unchanged"):
        entry.etag, entry.last_modified = etag, last_modified
    if outcome == "changed":
        entry.content_fp = content_fp
        emit = "article"
    step = next_step(settings.policy.ladder_for(entry.publisher), entry.first_seen, entry.step, now)
    if step is None:
        return Decision(emit, finished=True)
    entry.step, entry.next_due = step
    return Decision(emit, finished=False)
