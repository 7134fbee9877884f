"""The pages producer's pure parts: ladder, schedule table and records, revisit outcomes, host queues."""

from __future__ import annotations

import pytest

from producers.pages.ladder import (
    DEFAULT_LADDER,
    LadderPolicy,
    first_step,
    format_ladder,
    next_step,
    parse_duration,
    parse_ladder,
)
from producers.pages.polite import HostQueues, host_key
from producers.pages.revisit import RevisitSettings, apply_outcome, schedule_new
from producers.pages.schedule import PageEntry, ScheduleTable

LADDER = (10.0, 20.0, 40.0)
SETTINGS = RevisitSettings(LadderPolicy(LADDER, {"Quiet Times": ()}), gone_confirm_s=5.0)


def test_ladder_parsing_and_default() -> None:
    assert parse_duration("15m") == 900 and parse_duration("1.5h") == 5400 and parse_duration("30") == 30
    assert parse_ladder("15m,1h,3h,12h,1d,3d,7d,30d") == DEFAULT_LADDER
    assert format_ladder(DEFAULT_LADDER) == "15m,1h,3h,12h,1d,3d,7d,30d"
    assert parse_ladder("off") == ()
    for bad in ("1h,15m", "0s", "soon", "1h,1h"):
        with pytest.raises(ValueError):
            parse_ladder(bad)


def test_per_publisher_ladder_and_off() -> None:
    policy = LadderPolicy(DEFAULT_LADDER, {"Rudaw": (60.0,), "Quiet Times": ()})
    assert policy.ladder_for("Rudaw") == (60.0,)
    assert policy.ladder_for("Other") == DEFAULT_LADDER
    assert policy.ladder_for(None) == DEFAULT_LADDER
    entry = schedule_new(
        "u:1", "https://q.example/a", publisher="Quiet Times", feed_url=None, partition=0,
        first_seen=0, now=0, settings=SETTINGS,
    )  # fmt: skip
    assert entry is None  # that publisher's revisits are off


def test_first_step_collapses_steps_passed_before_learning() -> None:
    assert first_step(LADDER, first_seen=100, now=100) == (0, 110)
    assert first_step(LADDER, first_seen=100, now=125) == (1, 120)  # one revisit now stands for 10 s and 20 s
    assert first_step(LADDER, first_seen=100, now=1000) is None  # past the last step


def test_next_step_skips_overdue_steps() -> None:
    assert next_step(LADDER, 0, 0, now=10.5) == (1, 20)
    assert next_step(LADDER, 0, 0, now=25) == (2, 40)  # late: step 1 skipped, no burst
    assert next_step(LADDER, 0, 2, now=41) is None


def _entry(**kw: object) -> PageEntry:
    entry = schedule_new(
        "u:abc", "https://news.example/a/1", publisher="Wire", feed_url="https://news.example/feed",
        partition=2, first_seen=0.0, now=0.0, settings=SETTINGS,
    )  # fmt: skip
    assert entry is not None
    for key, value in kw.items():
        setattr(entry, key, value)
    return entry


def test_compressed_clock_revisits_each_step_then_stops() -> None:
    entry = _entry()
    visits = []
    now = 0.0
    while now < 200:
        now += 1
        if now >= entry.next_due:
            visits.append(now)
            decision = apply_outcome(entry, "unchanged", now, SETTINGS)
            if decision.finished:
                break
    assert visits == [10, 20, 40]


def test_changed_emits_and_records_the_version() -> None:
    entry = _entry()
    decision = apply_outcome(entry, "changed", 10, SETTINGS, content_fp=7, etag='"v1"')
    assert decision.emit == "article" and not decision.finished
    assert entry.content_fp == 7 and entry.etag == '"v1"' and entry.step == 1 and entry.next_due == 20


def test_gone_needs_two_misses_some_time_apart_after_the_page_was_seen() -> None:
    never_seen = _entry()
    assert apply_outcome(never_seen, "missing", 10, SETTINGS).emit is None
    assert never_seen.misses == 0 and never_seen.step == 1  # a URL that never worked is not "unpublished"

    entry = _entry(content_fp=1)
    first = apply_outcome(entry, "missing", 10, SETTINGS)
    assert first.emit is None and entry.misses == 1 and entry.next_due == 15  # confirm 5 s later
    second = apply_outcome(entry, "missing", 15, SETTINGS)
    assert second.emit == "gone" and second.finished

    back = _entry(content_fp=1)
    apply_outcome(back, "missing", 10, SETTINGS)
    assert apply_outcome(back, "unchanged", 15, SETTINGS).emit is None
    assert back.misses == 0 and back.first_miss is None  # it came back: the count starts over


def test_record_round_trip() -> None:
    entry = _entry(content_fp=0xDEADBEEF, etag='"e"', last_modified="Tue, 24 Nov 2026 10:00:00 GMT", misses=1,
                   first_miss=12.5)  # fmt: skip
    again = PageEntry.from_record(entry.to_record(), partition=2)
    assert again.to_record() == entry.to_record() and again.partition == 2


def test_table_pops_due_in_order_and_ignores_stale_heap_items() -> None:
    table = ScheduleTable()
    a = PageEntry("a", "https://x/a", next_due=5)
    b = PageEntry("b", "https://x/b", next_due=3)
    table.put(a)
    table.put(b)
    a.next_due = 50  # rescheduled: the old heap item (5) is stale
    table.put(a)
    assert [e.article_id for e in table.pop_due(10)] == ["b"]
    assert table.next_due() == 50
    assert [e.article_id for e in table.pop_due(60)] == ["a"]
    c = PageEntry("c", "https://x/c", partition=1, next_due=1)
    table.put(c)
    assert table.drop_partitions({1}) == 1 and "c" not in table


def test_host_queues_one_at_a_time_with_a_delay_and_a_spread_backlog() -> None:
    queues = HostQueues(min_delay=5, per_host=1, max_active=10, max_per_second=0)
    slow = host_key("https://slow.example/a")
    other = host_key("https://other.example/a")
    for i in range(100):  # a backlog of 100 overdue revisits on one host
        queues.push(slow, f"s{i}")
    queues.push(other, "o1")
    started = queues.take(0)
    assert sorted(h for h, _ in started) == sorted([slow, other])  # one per host, never a burst
    assert queues.take(0) == []
    queues.release(slow, 1)
    assert queues.take(3) == []  # the host's delay has not passed
    assert queues.take(6) == [(slow, "s1")]
    assert queues.queued == 98
    assert host_key("HTTPS://Slow.Example:443/b") == slow


def test_global_rate_spaces_out_starts_across_hosts() -> None:
    queues = HostQueues(min_delay=0, max_active=100, max_per_second=2)
    for i in range(10):
        queues.push(host_key(f"https://h{i}.example/"), f"a{i}")
    assert len(queues.take(0)) == 1
    assert len(queues.take(0.2)) == 0
    assert len(queues.take(0.5)) == 1
