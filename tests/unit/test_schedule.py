"""Each scheduling rule, with an injected clock and random source."""

from __future__ import annotations

import math

import pytest

from producers.schedule import (
    ADAPT_FACTOR,
    FeedTiming,
    Hints,
    SchedulePolicy,
    after_error,
    after_success,
    base_interval,
    hints_from_headers,
    is_due,
    parse_retry_after,
    publishing_interval,
)

NOW = 1_700_000_000.0  # 2023-11-14T22:13:20Z
POLICY = SchedulePolicy()


def mid() -> float:
    return 0.5  # no jitter


def test_default_interval_is_five_minutes_with_jitter() -> None:
    assert after_success(FeedTiming(), NOW, POLICY, mid).next_due == NOW + 300
    assert after_success(FeedTiming(), NOW, POLICY, lambda: 0.0).next_due == pytest.approx(NOW + 270)
    assert after_success(FeedTiming(), NOW, POLICY, lambda: 0.999999).next_due == pytest.approx(NOW + 330, abs=0.01)


def test_configured_interval_wins_over_the_default() -> None:
    assert after_success(FeedTiming(), NOW, POLICY, mid, configured_s=900).interval_s == 900


def test_success_resets_errors() -> None:
    failing = FeedTiming(consecutive_errors=4, last_error="HTTP 500")
    timing = after_success(failing, NOW, POLICY, mid)
    assert (timing.consecutive_errors, timing.last_error, timing.last_success) == (0, None, NOW)


def test_adaptive_interval_follows_the_publishing_rate() -> None:
    hourly = [NOW - 3600 * i for i in range(10)]
    assert publishing_interval(hourly) == 1800  # half the median gap
    assert after_success(FeedTiming(), NOW, POLICY, mid, configured_s=900, entry_times=hourly).interval_s == 1800
    # one outlier gap does not move the median
    assert publishing_interval([*hourly, NOW - 30 * 86400]) == 1800


def test_the_rate_moves_the_interval_at_most_a_factor_from_the_configured_one() -> None:
    hourly = [NOW - 3600 * i for i in range(10)]  # observed: 1800 s
    assert base_interval(POLICY, configured_s=300, entry_times=hourly) == 300 * ADAPT_FACTOR
    every_minute = [NOW - 60 * i for i in range(10)]  # observed: 30 s
    assert base_interval(POLICY, configured_s=3600, entry_times=every_minute) == 3600 / ADAPT_FACTOR


def test_the_learned_rate_survives_a_304() -> None:
    hourly = [NOW - 3600 * i for i in range(10)]
    learned = after_success(FeedTiming(), NOW, POLICY, mid, configured_s=900, entry_times=hourly)
    assert learned.learned_interval_s == 1800
    after_304 = after_success(learned, NOW + 1800, POLICY, mid, configured_s=900)  # no entries in a 304
    assert after_304.interval_s == 1800 and after_304.learned_interval_s == 1800


def test_adaptive_interval_is_clamped() -> None:
    busy = [NOW - 10 * i for i in range(10)]  # every 10 s
    assert base_interval(POLICY, configured_s=120, entry_times=busy) == POLICY.floor_s
    quiet = [NOW - 7 * 86400 * i for i in range(5)]  # weekly
    assert base_interval(POLICY, configured_s=6 * 3600, entry_times=quiet) == POLICY.ceiling_s


def test_too_few_entries_keep_the_configured_interval() -> None:
    assert publishing_interval([NOW, NOW - 60]) is None
    assert base_interval(POLICY, configured_s=600, entry_times=[NOW, NOW - 60]) == 600
    assert base_interval(SchedulePolicy(adaptive=False), entry_times=[NOW - 3600 * i for i in range(10)]) == 300


def test_hints_lengthen_but_never_shorten_within_bounds() -> None:
    assert base_interval(POLICY, hints=Hints(ttl_s=3600)) == 3600
    assert base_interval(POLICY, hints=Hints(max_age_s=30)) == 300
    assert base_interval(POLICY, hints=Hints(expires_s=30 * 86400)) == POLICY.ceiling_s


def test_rss_ttl_is_in_minutes() -> None:
    hints = hints_from_headers({}, NOW, ttl_minutes=60)
    assert hints.ttl_s == 3600
    assert hints_from_headers({}, NOW, ttl_minutes=0).ttl_s is None


def test_cache_control_max_age() -> None:
    assert hints_from_headers({"cache-control": "public, max-age=900"}, NOW).max_age_s == 900
    assert hints_from_headers({"cache-control": "max-age=60, s-maxage=1200"}, NOW).max_age_s == 1200
    assert hints_from_headers({"cache-control": "no-cache"}, NOW).longest() is None


def test_expires_relative_to_the_date_header() -> None:
    headers = {"date": "Sun, 05 Nov 2023 17:00:00 GMT", "expires": "Sun, 05 Nov 2023 17:30:00 GMT"}
    assert hints_from_headers(headers, NOW).expires_s == 1800
    assert hints_from_headers({"expires": "0"}, NOW).expires_s is None
    # max-age takes precedence over Expires
    assert hints_from_headers(headers | {"cache-control": "max-age=120"}, NOW).expires_s is None


def test_errors_back_off_exponentially_with_full_jitter() -> None:
    top = lambda: 0.999999  # noqa: E731
    timing = FeedTiming()
    delays = []
    for _ in range(12):
        timing = after_error(timing, NOW, POLICY, top, error="HTTP 500")
        delays.append(timing.next_due - NOW)
    assert timing.consecutive_errors == 12 and timing.last_error == "HTTP 500"
    assert delays[:4] == pytest.approx([60, 120, 240, 480], rel=1e-4)
    assert max(delays) == pytest.approx(POLICY.error_ceiling_s, rel=1e-4)
    assert not timing.disabled  # errors never drop a feed
    # full jitter: anywhere from the floor up to the cap
    low = after_error(FeedTiming(consecutive_errors=5), NOW, POLICY, lambda: 0.0, error="x")
    assert low.next_due == NOW + POLICY.floor_s
    assert after_error(FeedTiming(consecutive_errors=5), NOW, POLICY, lambda: 0.5, error="x").next_due == NOW + 960


def test_retry_after_is_respected_up_to_the_ceiling() -> None:
    timing = after_error(FeedTiming(), NOW, POLICY, mid, error="HTTP 429", retry_after_s=1800)
    assert timing.next_due == NOW + 1800
    capped = after_error(FeedTiming(), NOW, POLICY, mid, error="HTTP 503", retry_after_s=10 * 86400)
    assert capped.next_due == NOW + POLICY.error_ceiling_s
    short = after_error(FeedTiming(consecutive_errors=3), NOW, POLICY, mid, error="HTTP 429", retry_after_s=1)
    assert short.next_due == NOW + 240  # the backoff is longer than what the server asked


def test_410_disables() -> None:
    timing = after_error(FeedTiming(), NOW, POLICY, mid, error="HTTP 410 Gone", gone=True)
    assert timing.disabled and timing.next_due == math.inf and timing.last_error == "HTTP 410 Gone"
    assert not is_due(timing, NOW + 10**9)


def test_is_due() -> None:
    timing = after_success(FeedTiming(), NOW, POLICY, mid)
    assert not is_due(timing, NOW + 299) and is_due(timing, NOW + 300)


def test_parse_retry_after() -> None:
    assert parse_retry_after("120", NOW) == 120
    assert parse_retry_after("Tue, 14 Nov 2023 22:23:20 GMT", NOW) == 600
    assert parse_retry_after("Tue, 14 Nov 2023 22:00:00 GMT", NOW) == 0  # in the past
    assert parse_retry_after("soon", NOW) is None
    assert parse_retry_after(None, NOW) is None
    assert parse_retry_after("-5", NOW) is None
