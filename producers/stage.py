"""The produce loop: schedule, fetch concurrently, parse, keep new versions only, send, persist.

One round: every due feed is polled concurrently (the Fetcher bounds connections globally and per
host); each poll's entries are compared with the fingerprints already emitted for that feed; new or
changed entries are sent to the raw topic with the idempotent producer. Then the producer is
flushed and only then, per feed and in one SQLite transaction, the fingerprints of acknowledged
messages, the validators and the schedule are recorded. So a crash at any point re-emits at most
what was not yet recorded and never loses a new version; a send that fails after the client's
retries is counted and logged with its entry, its fingerprint is not recorded and the feed's
validators are not advanced, so the next poll fetches the full document and emits it again.
"""

from __future__ import annotations

import asyncio
import calendar
import dataclasses
import logging
import math
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from prometheus_client import CollectorRegistry

import schemas
from newsstream import codec
from newsstream.config import Config
from newsstream.log import fields
from newsstream.shutdown import Shutdown
from producers.base import PollResult, Producer, Registry
from producers.feeds import FeedConfig
from producers.fetch import Fetcher, FetchSettings
from producers.metrics import STAGE, ProducerMetrics
from producers.poison import DEFAULT_MESSAGE_LIMIT, PoisonHandler, TooLarge, is_size_failure
from producers.schedule import FeedTiming, SchedulePolicy, after_error, after_success, hints_from_headers
from producers.state import FeedState, StateStore

log = logging.getLogger("newsstream.produce")

#: After SIGTERM, how long in-flight fetches may finish before they are cancelled (DESIGN: exit in 10 s).
SHUTDOWN_GRACE_S = 7.0
FLUSH_TIMEOUT_S = 30.0
#: Feeds fetched and parsed at once in a round. Each holds its body (up to the 10 MiB cap, twice
#: while it is joined) until parsed: 100 feeds of 8 MB at once peaked at 1.8 GB; with 16 and the
#: flush below, 1.1-1.2 GB (SECURITY.md). A slow feed holds its slot for at most the 60 s fetch timeout.
MAX_POLLS_IN_FLIGHT = 16
#: Encoded entries handed to the Kafka client and not yet flushed, before the round waits for them.
MAX_UNFLUSHED_BYTES = 64 * 1024 * 1024
RAW_HEADERS_CONTENT_TYPE = ("content-type", b"application/json")


class KafkaSender(Protocol):
    """The slice of ``kafka.KafkaProducer`` the loop uses (tests may pass a fake)."""

    def send(self, topic: str, value: bytes, key: bytes, headers: list[tuple[str, bytes]]) -> Any: ...

    def flush(self, timeout: float | None = None) -> None: ...


def select_shard(feeds: Sequence[FeedConfig], shard: tuple[int, int] | None) -> list[FeedConfig]:
    """The feeds of shard ``I/N`` (stable sha1 of the URL), or all of them."""
    if shard is None:
        return list(feeds)
    index, count = shard
    return [f for f in feeds if f.shard(count) == index]


def parse_shard(text: str) -> tuple[int, int]:
    """``"I/N"`` with 0 <= I < N."""
    try:
        left, right = text.split("/")
        index, count = int(left), int(right)
    except ValueError:
        raise ValueError(f"--shard {text!r}: expected I/N, e.g. 0/3") from None
    if count < 1 or not 0 <= index < count:
        raise ValueError(f"--shard {text!r}: need 0 <= I < N")
    return index, count


def _timing_from_state(state: FeedState) -> FeedTiming:
    data = dict(state.timing or {})
    known = {f.name for f in dataclasses.fields(FeedTiming)}
    data = {k: v for k, v in data.items() if k in known}
    if data.get("next_due") is None:
        data["next_due"] = math.inf if data.get("disabled") else 0.0
    return FeedTiming(**data)


def _timing_to_dict(timing: FeedTiming) -> dict[str, Any]:
    data = dataclasses.asdict(timing)
    if not math.isfinite(data["next_due"]):
        data["next_due"] = None
    return data


def _slim(article: dict[str, Any], size: int) -> dict[str, Any]:
    """What the round keeps of a sent article: its identity and what the logs name, not its text."""
    entry = article["entry"]
    kept = {k: entry.get(k) for k in ("guid", "link", "fingerprint")}
    kept["title"] = str(entry.get("title") or "")[:300]
    return {"article_id": article["article_id"], "fetched_at": article["fetched_at"], "feed": article.get("feed"),
            "entry": kept, "bytes": size}  # fmt: skip


def _entry_time(article: dict[str, Any]) -> float | None:
    entry = article["entry"]
    for key in ("published", "updated"):
        value = entry.get(key)
        if value and value.get("utc"):
            try:
                return float(calendar.timegm(time.strptime(value["utc"][:19], "%Y-%m-%dT%H:%M:%S")))
            except ValueError:
                continue
    return None


@dataclass
class RoundStats:
    """What one round did (the INFO progress line)."""

    polled: int = 0
    fetched: int = 0
    not_modified: int = 0
    errors: int = 0
    emitted: int = 0
    skipped: int = 0
    send_failures: int = 0
    dead_lettered: int = 0
    outcomes: dict[str, int] = field(default_factory=dict)

    def add(self, other: RoundStats) -> None:
        for name in (
            "polled",
            "fetched",
            "not_modified",
            "errors",
            "emitted",
            "skipped",
            "send_failures",
            "dead_lettered",
        ):
            setattr(self, name, getattr(self, name) + getattr(other, name))
        for key, value in other.outcomes.items():
            self.outcomes[key] = self.outcomes.get(key, 0) + value


@dataclass
class _Pending:
    """One polled feed waiting for the flush before its state is recorded."""

    feed: FeedConfig
    state: FeedState
    result: PollResult
    sends: list[tuple[dict[str, Any], Any]] = field(default_factory=list)  # (slim article, future or exception)
    seen: list[str] = field(default_factory=list)
    entry_times: list[float] = field(default_factory=list)


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
        self.schema_header = ("schema", schemas.schema_id("raw-article").encode())
        self.poison = PoisonHandler(
            sender, config.topics.raw, config.topics.dlq, self.registry, message_limit, config.kafka.compression
        )
        self.ready = False
        self.rounds = 0
        self._unflushed_bytes = 0

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
            timing = _timing_from_state(state) if state else FeedTiming()
            if timing.disabled:
                continue
            if everything or now >= timing.next_due:
                due.append(feed)
        return due

    async def _sleep_until_next_due(self) -> None:
        states = self.state.all_feeds()
        now = self.clock()
        soonest = min(
            (_timing_from_state(states[f.url]).next_due if f.url in states else now for f in self.feeds),
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
        pending: list[_Pending] = []
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
                        pending.append(self._send(polled, stats))
                    del task, polled
                del done
                if self._unflushed_bytes > MAX_UNFLUSHED_BYTES:
                    # Back-pressure: kafka-python 3.0.12 has no buffer_memory bound, so the encoded
                    # records of every feed would wait in its accumulator. Flushed in a thread: the
                    # other polls go on meanwhile.
                    await asyncio.to_thread(self._flush)
        finally:
            stop_waiter.cancel()
        self._flush()
        for item in pending:
            self._record(item, stats)
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

    # --- per feed ----------------------------------------------------------------------------------

    def _send(self, polled: tuple[FeedConfig, FeedState, PollResult], stats: RoundStats) -> _Pending:
        feed, state, result = polled
        fetch = result.fetch
        self.metrics.fetches.labels(feed.type, result.outcome).inc()
        stats.polled += 1
        stats.outcomes[result.outcome] = stats.outcomes.get(result.outcome, 0) + 1
        if fetch is not None:
            self.metrics.fetch_seconds.labels(feed.type).observe(fetch.elapsed_s)
            self.metrics.bytes.inc(fetch.bytes_read)
        log.debug(
            "fetched %s: %s",
            feed.url,
            result.outcome,
            extra=fields(
                feed=feed.url, outcome=result.outcome, status=fetch.status if fetch else None,
                elapsed_s=round(fetch.elapsed_s, 3) if fetch else None, entries=len(result.articles),
                error=result.error,
            ),
        )  # fmt: skip
        if result.bozo:
            self.metrics.bozo.labels("true" if result.articles else "false").inc()
            log.info("feed %s is not well-formed: %s", feed.url, result.bozo, extra=fields(feed=feed.url))
        if result.entries_skipped:
            self.metrics.entries.labels("no_identity").inc(result.entries_skipped)
        if result.entries_bad:
            self.metrics.entries.labels("bad").inc(result.entries_bad)
        for note in result.notes:  # a wrong declared type, bad entries skipped: the operator can act on these
            log.info("feed %s: %s", feed.url, note, extra=fields(feed=feed.url))
        pending = _Pending(feed=feed, state=state, result=result)
        if result.outcome == "not_modified":
            stats.not_modified += 1
            return pending
        if result.outcome != "ok":
            stats.errors += 1
            return pending
        stats.fetched += 1
        known = self.state.fingerprints(feed.url)
        batch: set[str] = set()
        for article in result.articles:
            aid = article["article_id"]
            if aid in batch:
                continue  # the same article twice in one document: the first (newest) wins
            batch.add(aid)
            pending.seen.append(aid)
            if known.get(aid) == article["entry"]["fingerprint"]:
                stats.skipped += 1
                self.metrics.entries.labels("skipped").inc()
                continue
            outcome, size = self._send_one(article)
            self._unflushed_bytes += size
            pending.sends.append((_slim(article, size), outcome))
        # The round keeps only what _record needs: the entries' full text (and the body) is with the
        # Kafka client now, so a round's memory no longer grows with every feed it polled (issue 14).
        pending.entry_times = [t for a in result.articles if (t := _entry_time(a)) is not None]
        pending.result = dataclasses.replace(result, articles=[])
        return pending

    def _send_one(self, article: dict[str, Any]) -> tuple[Any, int]:
        """The send's future (or the exception it raised), and the encoded size."""
        value = codec.dumps(article)
        if not self.poison.fits(value):  # Kafka would refuse it; dead-lettered in _record
            return TooLarge(f"the encoded entry is {len(value)} bytes"), len(value)
        try:
            future = self.sender.send(
                self.config.topics.raw,
                value=value,
                key=article["article_id"].encode(),
                headers=[RAW_HEADERS_CONTENT_TYPE, self.schema_header],
            )
        except Exception as exc:  # noqa: BLE001 - counted and logged in _record
            return exc, len(value)
        return future, len(value)

    def _flush(self) -> None:
        self._unflushed_bytes = 0
        try:
            self.sender.flush(timeout=FLUSH_TIMEOUT_S)
        except Exception:  # noqa: BLE001 - unacknowledged futures count as failures in _record
            log.warning("Kafka flush did not complete", exc_info=True)

    @staticmethod
    def _send_error(outcome: Any) -> str | None:
        if isinstance(outcome, BaseException):
            return f"{type(outcome).__name__}: {outcome}"
        if not outcome.is_done:
            return "not acknowledged before the flush timeout"
        if outcome.failed():
            exc = outcome.exception
            return f"{type(exc).__name__}: {exc}"
        return None

    def _record(self, item: _Pending, stats: RoundStats) -> None:
        feed, state, result = item.feed, item.state, item.result
        now = self.clock()
        fetch = result.fetch
        emitted: list[tuple[str, str]] = []
        failures = dead_lettered = 0
        for article, outcome in item.sends:
            error = self._send_error(outcome)
            if error is not None and is_size_failure(outcome):
                # Re-sent alone, else dead-lettered: a poisoned entry is never retried forever (issue 14).
                headers = [RAW_HEADERS_CONTENT_TYPE, self.schema_header]
                settled = self.poison.settle(article, None, headers, feed.url)
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
                extra=fields(feed=feed.url, article_id=article["article_id"], link=entry.get("link"),
                             title=entry.get("title"), error=error),
            )  # fmt: skip
        stats.emitted += len(emitted) - dead_lettered
        stats.dead_lettered += dead_lettered
        stats.send_failures += failures
        self.metrics.send_failures.inc(failures)

        timing = _timing_from_state(state)
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
            self.metrics.feed_success(feed.url, now, len(self.feeds))
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
        state.timing = _timing_to_dict(timing)
        self.state.commit_poll(state, emitted, item.seen if result.outcome == "ok" else (), now=now)
        note = "; ".join(result.notes)[:500] or None
        self.state.count_poll(feed.url, len(emitted), result.entries_bad, note, parsed=result.outcome == "ok")

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
