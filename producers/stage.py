"""The produce loop: schedule, fetch concurrently, parse, keep new versions only, send, persist.

One round: every due feed is polled concurrently (the Fetcher bounds connections globally and per
host); each poll's entries are compared with the fingerprints already emitted for that feed; new or
changed entries are sent to the raw topic with the idempotent producer (:mod:`producers.send`). Then
the producer is flushed and only then, per feed and in one SQLite transaction, the fingerprints of
acknowledged messages, the validators and the schedule are recorded (:mod:`producers.record`). So a
crash at any point re-emits at most what was not yet recorded and never loses a new version.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable, Sequence
from typing import Any

from prometheus_client import CollectorRegistry

from newsstream.config import Config
from newsstream.log import fields
from newsstream.shutdown import Shutdown
from producers.base import PollResult, Producer, Registry
from producers.feeds import FeedConfig
from producers.fetch import Fetcher, FetchSettings
from producers.metrics import ProducerMetrics
from producers.poison import DEFAULT_MESSAGE_LIMIT, PoisonHandler
from producers.record import PollRecorder
from producers.round import KafkaSender, PendingFeed, RoundStats, timing_from_state
from producers.schedule import FeedTiming, SchedulePolicy
from producers.send import MAX_UNFLUSHED_BYTES, FeedSender
from producers.state import FeedState, StateStore

log = logging.getLogger("newsstream.produce")

#: After SIGTERM, how long in-flight fetches may finish before they are cancelled (DESIGN: exit in 10 s).
SHUTDOWN_GRACE_S = 7.0
#: Feeds fetched and parsed at once in a round. Each holds its body (up to the 10 MiB cap, twice
#: while it is joined) until parsed: 100 feeds of 8 MB at once peaked at 1.8 GB; with 16 and the
#: flush every MAX_UNFLUSHED_BYTES, 1.1-1.2 GB (SECURITY.md). A slow feed holds its slot for at most
#: the 60 s fetch timeout.
MAX_POLLS_IN_FLIGHT = 16


class ProduceStage:
    """``newsstream produce``: owns the state store, the fetcher, the Kafka producer and metrics."""

    def __init__(
        self,
        config: Config,
        feeds: Sequence[FeedConfig],
        *,
        sender: KafkaSender,
        state: StateStore,
        registry: CollectorRegistry | None = None,
        producers: Registry | None = None,
        policy: SchedulePolicy | None = None,
        fetch_settings: FetchSettings | None = None,
        shutdown: Shutdown | None = None,
        clock: Callable[[], float] = time.time,
        reloader: Callable[[], Sequence[FeedConfig] | None] | None = None,
        message_limit: int = DEFAULT_MESSAGE_LIMIT,
    ) -> None:
        self.config = config
        #: Returns a new feed list when one is due (SIGHUP, file changed; see producers.reload).
        self.reloader = reloader
        self.feeds = [f for f in feeds if f.enabled]
        self.sender = sender
        self.state = state
        self.registry = registry or CollectorRegistry()
        self.producers = producers or Registry()
        self.policy = policy or SchedulePolicy(floor_s=config.poll_floor_seconds)
        self.fetch_settings = fetch_settings or FetchSettings.from_config(config)
        self.shutdown = shutdown or Shutdown()
        self.clock = clock
        self.metrics = ProducerMetrics(self.registry, types=sorted({f.type for f in self.feeds} | {"rss"}))
        self.poison = PoisonHandler(
            sender, config.topics.raw, config.topics.dlq, self.registry, message_limit, config.kafka.compression
        )
        self.sending = FeedSender(sender, config.topics.raw, state, self.metrics, self.poison)
        self.recorder = PollRecorder(
            config, state, self.metrics, self.poison, self.policy, self.sending.headers, self.clock
        )
        self.ready = False
        self.rounds = 0

    # --- the loop --------------------------------------------------------------------------------

    async def run(self, once: bool = False) -> RoundStats:
        """Poll until shutdown (or one round over every feed with ``once``); returns the totals."""
        total = RoundStats()
        async with Fetcher(self.fetch_settings) as fetcher:
            while not self.shutdown.requested:
                self._maybe_reload()
                now = self.clock()
                due = self.due_feeds(now, everything=once)
                if due or not self.ready:
                    total.add(await self.run_round(fetcher, due))
                if once:
                    break
                await self._sleep_until_next_due()
        return total

    def due_feeds(self, now: float, everything: bool = False) -> list[FeedConfig]:
        states = self.state.all_feeds()
        due = []
        for feed in self.feeds:
            state = states.get(feed.url)
            timing = timing_from_state(state) if state else FeedTiming()
            if timing.disabled:
                continue
            if everything or now >= timing.next_due:
                due.append(feed)
        return due

    async def _sleep_until_next_due(self) -> None:
        states = self.state.all_feeds()
        now = self.clock()
        soonest = min(
            (timing_from_state(states[f.url]).next_due if f.url in states else now for f in self.feeds),
            default=now + 60,
        )
        deadline = min(soonest, now + 60)
        while not self.shutdown.requested and self.clock() < deadline:
            await asyncio.sleep(min(0.25, max(0.0, deadline - self.clock())))
            if self._maybe_reload():
                return  # new feeds are due at once

    def _maybe_reload(self) -> bool:
        """Swap in a reloaded feed list (fetch state is keyed by URL, so it carries over); True if swapped."""
        feeds = self.reloader() if self.reloader is not None else None
        if feeds is None:
            return False
        before = {f.url for f in self.feeds}
        self.feeds = [f for f in feeds if f.enabled]
        after = {f.url for f in self.feeds}
        for feed in self.feeds:  # label values of a type new to this process
            self.metrics.add_type(feed.type)
        log.info(
            "now polling %d feeds (%d added, %d removed)", len(self.feeds), len(after - before), len(before - after)
        )
        self._update_gauges()
        return True

    async def run_round(self, fetcher: Any, due: Sequence[FeedConfig]) -> RoundStats:
        """Poll ``due`` concurrently, send new versions, flush, record state."""
        started = time.monotonic()
        stats = RoundStats()
        gate = asyncio.Semaphore(MAX_POLLS_IN_FLIGHT)
        # A set, not a list kept for the round: a finished task holds its result (every parsed entry
        # of its feed), so a task must become garbage once its result is sent.
        remaining = {asyncio.create_task(self._poll(feed, fetcher, gate), name=feed.url) for feed in due}
        pending: list[PendingFeed] = []
        stop_waiter = asyncio.create_task(self._wait_for_shutdown())
        try:
            while remaining:
                done, remaining = await asyncio.wait(remaining | {stop_waiter}, return_when=asyncio.FIRST_COMPLETED)
                remaining.discard(stop_waiter)
                if stop_waiter in done:
                    done.discard(stop_waiter)
                    done |= await self._drain_after_shutdown(remaining)
                    remaining = set()
                for task in done:
                    polled = None if task.cancelled() else task.result()
                    if polled is not None:
                        pending.append(self.sending.send(polled, stats))
                    del task, polled
                del done
                if self.sending.unflushed_bytes > MAX_UNFLUSHED_BYTES:
                    # Back-pressure: kafka-python 3.0.12 has no buffer_memory bound, so the encoded
                    # records of every feed would wait in its accumulator. Flushed in a thread: the
                    # other polls go on meanwhile.
                    await asyncio.to_thread(self.sending.flush)
        finally:
            stop_waiter.cancel()
        self.sending.flush()
        for item in pending:
            self.recorder.record(item, stats, len(self.feeds))
        self.rounds += 1
        self.ready = True
        self.metrics.rounds.inc()
        self._update_gauges()
        log.info(
            "round %d: %d polled, %d fetched, %d not modified, %d emitted, %d unchanged, %d errors, "
            "%d send failures, %d dead-lettered in %.2f s",
            self.rounds, stats.polled, stats.fetched, stats.not_modified, stats.emitted, stats.skipped, stats.errors,
            stats.send_failures, stats.dead_lettered, time.monotonic() - started,
            extra=fields(round=self.rounds, send_failures=stats.send_failures, outcomes=stats.outcomes),
        )  # fmt: skip
        return stats

    async def _wait_for_shutdown(self) -> None:
        while not self.shutdown.requested:
            await asyncio.sleep(0.1)

    async def _drain_after_shutdown(self, remaining: set[asyncio.Task[Any]]) -> set[asyncio.Task[Any]]:
        """Give in-flight polls a grace period, cancel the rest (their feeds stay due)."""
        if not remaining:
            return set()
        log.info("shutdown: waiting up to %.0f s for %d in-flight polls", SHUTDOWN_GRACE_S, len(remaining))
        done, late = await asyncio.wait(remaining, timeout=SHUTDOWN_GRACE_S)
        for task in late:
            task.cancel()
        if late:
            await asyncio.gather(*late, return_exceptions=True)
        return done

    async def _poll(
        self, feed: FeedConfig, fetcher: Any, gate: asyncio.Semaphore
    ) -> tuple[FeedConfig, FeedState, PollResult] | None:
        if self.shutdown.requested:
            return None  # not started: the feed stays due for the next process
        state = self.state.feed(feed.url)
        try:
            producer: Producer = self.producers.get(feed.type)
            async with gate:
                result = await producer.poll(feed, fetcher, state)
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # noqa: BLE001 - one feed's bug must not stop the others
            log.warning("poll of %s raised", feed.url, exc_info=True, extra=fields(feed=feed.url))
            result = PollResult(outcome="error", error=f"{type(exc).__name__}: {exc}")
        return feed, state, result

    def _update_gauges(self) -> None:
        states = self.state.all_feeds()
        counts = {"active": 0, "backoff": 0, "disabled": 0}
        for feed in self.feeds:
            state = states.get(feed.url)
            if state is not None and state.disabled:
                counts["disabled"] += 1
            elif state is not None and state.consecutive_errors:
                counts["backoff"] += 1
            else:
                counts["active"] += 1
        for name, value in counts.items():
            self.metrics.feeds.labels(name).set(value)
