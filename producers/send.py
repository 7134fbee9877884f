"""Sending a polled feed's new versions to the raw topic, and the flush that ends a round.

:meth:`FeedSender.send` counts what the poll found, compares each entry's fingerprint with the one
last emitted for its article, and hands only new or changed versions to the Kafka client, keeping
for each a :func:`~producers.round.slim` copy and its future. Whether those sends succeeded is read
after the flush, by :mod:`producers.record`.
"""

from __future__ import annotations

import dataclasses
import logging
from typing import Any

import schemas
from newsstream import codec
from newsstream.log import fields
from producers.base import PollResult
from producers.feeds import FeedConfig
from producers.metrics import ProducerMetrics
from producers.poison import PoisonHandler, TooLarge
from producers.round import RAW_HEADERS_CONTENT_TYPE, KafkaSender, PendingFeed, RoundStats, entry_time, slim
from producers.state import FeedState, StateStore

log = logging.getLogger("newsstream.produce")

FLUSH_TIMEOUT_S = 30.0
#: Encoded entries handed to the Kafka client and not yet flushed, before the round waits for them.
MAX_UNFLUSHED_BYTES = 64 * 1024 * 1024


def send_error(outcome: Any) -> str | None:
    """Why a send failed (its exception, or its future after the flush), or None when it was acknowledged."""
    if isinstance(outcome, BaseException):
        return f"{type(outcome).__name__}: {outcome}"
    if not outcome.is_done:
        return "not acknowledged before the flush timeout"
    if outcome.failed():
        exc = outcome.exception
        return f"{type(exc).__name__}: {exc}"
    return None


class FeedSender:
    """The Kafka side of a round: sends new versions to ``topic`` and flushes."""

    def __init__(
        self,
        sender: KafkaSender,
        topic: str,
        state: StateStore,
        metrics: ProducerMetrics,
        poison: PoisonHandler,
    ) -> None:
        self.sender = sender
        self.topic = topic
        self.state = state
        self.metrics = metrics
        self.poison = poison
        self.headers = [RAW_HEADERS_CONTENT_TYPE, ("schema", schemas.schema_id("raw-article").encode())]
        #: Bytes handed to the client since the last flush (the round flushes past MAX_UNFLUSHED_BYTES).
        self.unflushed_bytes = 0

    def send(self, polled: tuple[FeedConfig, FeedState, PollResult], stats: RoundStats) -> PendingFeed:
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
        pending = PendingFeed(feed=feed, state=state, result=result)
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
            outcome, size = self.send_one(article)
            self.unflushed_bytes += size
            pending.sends.append((slim(article, size), outcome))
        # The round keeps only what recording needs: the entries' full text (and the body) is with the
        # Kafka client now, so a round's memory no longer grows with every feed it polled (issue 14).
        pending.entry_times = [t for a in result.articles if (t := entry_time(a)) is not None]
        pending.result = dataclasses.replace(result, articles=[])
        return pending

    def send_one(self, article: dict[str, Any]) -> tuple[Any, int]:
        """The send's future (or the exception it raised), and the encoded size."""
        value = codec.dumps(article)
        if not self.poison.fits(value):  # Kafka would refuse it; dead-lettered when recorded
            return TooLarge(f"the encoded entry is {len(value)} bytes"), len(value)
        try:
            future = self.sender.send(
                self.topic, value=value, key=article["article_id"].encode(), headers=list(self.headers)
            )
        except Exception as exc:  # noqa: BLE001 - counted and logged when recorded
            return exc, len(value)
        return future, len(value)

    def flush(self) -> None:
        self.unflushed_bytes = 0
        try:
            self.sender.flush(timeout=FLUSH_TIMEOUT_S)
        except Exception:  # noqa: BLE001 - unacknowledged futures count as failures when recorded
            log.warning("Kafka flush did not complete", exc_info=True)
