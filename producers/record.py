"""After a round's flush: what each polled feed's sends came to, recorded with its new schedule.

Per feed and in one SQLite transaction, :meth:`PollRecorder.record` stores the fingerprints of the
acknowledged messages, the HTTP validators and the next due time. A send that failed after the
client's retries is counted and logged with its entry; its fingerprint is not recorded and the
feed's validators are not advanced, so the next poll fetches the full document and emits it again.
An entry Kafka refused for its size is re-sent alone, else dead-lettered (never retried forever).
"""

from __future__ import annotations

import calendar
import dataclasses
import logging
import math
import time
from collections.abc import Callable

from newsstream.config import Config
from newsstream.log import fields
from producers.metrics import STAGE, ProducerMetrics
from producers.poison import PoisonHandler, is_size_failure
from producers.round import PendingFeed, RoundStats, timing_from_state, timing_to_dict
from producers.schedule import SchedulePolicy, after_error, after_success, hints_from_headers
from producers.send import send_error
from producers.state import StateStore

log = logging.getLogger("newsstream.produce")


class PollRecorder:
    """Records each polled feed once the round's sends are flushed."""

    def __init__(
        self,
        config: Config,
        state: StateStore,
        metrics: ProducerMetrics,
        poison: PoisonHandler,
        policy: SchedulePolicy,
        headers: list[tuple[str, bytes]],
        clock: Callable[[], float],
    ) -> None:
        self.config = config
        self.state = state
        self.metrics = metrics
        self.poison = poison
        self.policy = policy
        self.headers = headers
        self.clock = clock

    def record(self, item: PendingFeed, stats: RoundStats, feed_count: int) -> None:
        """Settle ``item``'s sends, then store its state; ``feed_count``: the feeds polled now (a metric's bound)."""
        feed, state, result = item.feed, item.state, item.result
        now = self.clock()
        fetch = result.fetch
        emitted, failures, dead_lettered = self._settle(item)
        stats.emitted += len(emitted) - dead_lettered
        stats.dead_lettered += dead_lettered
        stats.send_failures += failures
        self.metrics.send_failures.inc(failures)

        timing = timing_from_state(state)
        state.last_fetch_at = now
        state.last_outcome = result.outcome
        state.last_status = fetch.status if fetch else None
        if fetch is not None and fetch.permanent_redirect and fetch.permanent_redirect != state.fetch_url:
            log.info(
                "feed %s moved permanently to %s; polling the new URL from now on",
                state.fetch_url, fetch.permanent_redirect, extra=fields(feed=feed.url, to=fetch.permanent_redirect),
            )  # fmt: skip
            state.current_url = fetch.permanent_redirect
            self.metrics.permanent_redirects.inc()
        if result.succeeded:
            if result.outcome == "ok" and failures == 0 and fetch is not None:
                state.etag, state.last_modified = fetch.etag, fetch.last_modified
            elif failures:
                state.etag = state.last_modified = None  # fetch the whole document again next time
            hints = hints_from_headers(fetch.headers if fetch else {}, now, result.ttl_minutes)
            timing = after_success(
                timing, now, self.policy, configured_s=feed.interval_s, entry_times=item.entry_times, hints=hints
            )
            if failures:
                timing = dataclasses.replace(timing, next_due=min(timing.next_due, now + self.policy.floor_s))
            problems = [f"{failures} sends failed"] if failures else []
            if dead_lettered:
                problems.append(f"{dead_lettered} entries too large, sent to the DLQ")
            state.last_error = "; ".join(problems) or None
            state.last_success_at = now
            self.metrics.feed_success(feed.url, now, feed_count)
        else:
            error = result.error or result.outcome
            was_failing = timing.consecutive_errors > 0
            timing = after_error(
                timing, now, self.policy, error=error,
                retry_after_s=fetch.retry_after_s if fetch else None, gone=result.outcome == "gone",
            )  # fmt: skip
            state.last_error = error
            if timing.disabled:
                log.warning("feed %s disabled: %s", feed.url, error, extra=fields(feed=feed.url))
            elif not was_failing:
                log.warning(
                    "feed %s failed (%s): %s; backing off", feed.url, result.outcome, error,
                    extra=fields(feed=feed.url, outcome=result.outcome, retry_in_s=round(timing.next_due - now)),
                )  # fmt: skip
        state.disabled = timing.disabled
        state.consecutive_errors = timing.consecutive_errors
        state.next_due_at = timing.next_due if math.isfinite(timing.next_due) else None
        state.timing = timing_to_dict(timing)
        self.state.commit_poll(state, emitted, item.seen if result.outcome == "ok" else (), now=now)
        note = "; ".join(result.notes)[:500] or None
        self.state.count_poll(feed.url, len(emitted), result.entries_bad, note, parsed=result.outcome == "ok")

    def _settle(self, item: PendingFeed) -> tuple[list[tuple[str, str]], int, int]:
        """The (article id, fingerprint) pairs to record, the failed sends and the dead-lettered entries."""
        emitted: list[tuple[str, str]] = []
        failures = dead_lettered = 0
        for article, outcome in item.sends:
            error = send_error(outcome)
            if error is not None and is_size_failure(outcome):
                # Re-sent alone, else dead-lettered: a poisoned entry is never retried forever (issue 14).
                settled = self.poison.settle(article, None, list(self.headers), item.feed.url)
                if settled == "dead_lettered":
                    dead_lettered += 1
                    emitted.append((article["article_id"], article["entry"]["fingerprint"]))
                    continue
                error = None if settled == "delivered" else settled
            if error is None:
                emitted.append((article["article_id"], article["entry"]["fingerprint"]))
                self.metrics.produced.labels(STAGE, self.config.topics.raw).inc()
                self.metrics.entries.labels("emitted").inc()
                fetched_at = calendar.timegm(time.strptime(article["fetched_at"][:19], "%Y-%m-%dT%H:%M:%S"))
                self.metrics.latency.labels(STAGE).observe(max(0.0, time.time() - fetched_at))
                continue
            failures += 1
            entry = article["entry"]
            log.error(
                "send failed for %s (%s): %s; it will be emitted again on the next poll",
                article["article_id"], entry.get("link") or entry.get("guid"), error,
                extra=fields(feed=item.feed.url, article_id=article["article_id"], link=entry.get("link"),
                             title=entry.get("title"), error=error),
            )  # fmt: skip
        return emitted, failures, dead_lettered
