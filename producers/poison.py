"""Entries Kafka will never take: sent to the DLQ once, their fingerprint recorded, never retried.

An entry over the request cap is refused by kafka-python at ``send()``; one over the broker's (or
topic's) message size is refused by the broker, and its batchmates may fail with it. Before this,
both were re-sent on every poll forever and the feed's other entries waited with them (issue 14).

Now: an entry that would not fit (:meth:`PoisonHandler.fits`: the request cap, and the topic's
``max.message.bytes`` after compression) is not sent; one whose send failed with a size error anyway
is first re-sent *alone* (a batchmate that failed only because it shared a batch goes
through); if it fails again it goes to ``news.dlq.v1`` (reason ``entry_too_large``) with the whole
RawArticle when that fits under :data:`MAX_DLQ_ARTICLE_BYTES`, else only its metadata (feed, id,
guid, link, title, fingerprint, size; header ``dlq.content: metadata``). Either way the stage then
records the fingerprint, so the entry is not sent again until it changes.
"""

from __future__ import annotations

import logging
from typing import Any

from kafka.errors import MessageSizeTooLargeError, RecordListTooLargeError
from prometheus_client import CollectorRegistry, Counter

from newsstream import codec
from newsstream.config import KafkaSettings
from newsstream.kafka_clients import MAX_REQUEST_BYTES
from newsstream.log import fields

log = logging.getLogger("newsstream.produce")

STAGE = "produce"
#: An encoded RawArticle longer than this is not sent to the raw topic (the request cap less framing).
MAX_ENTRY_BYTES = MAX_REQUEST_BYTES - 16 * 1024
#: The DLQ copy carries the whole RawArticle up to this size (under the broker's default 1 MiB
#: message limit even uncompressed), else only its metadata.
MAX_DLQ_ARTICLE_BYTES = 900 * 1024
SEND_TIMEOUT_S = 30.0
SIZE_ERRORS = (MessageSizeTooLargeError, RecordListTooLargeError)
#: The broker's default message.max.bytes, used when the topic's own limit is not known.
DEFAULT_MESSAGE_LIMIT = 1_048_588
#: Room for the record batch's framing and the compressor's own estimate differing from ours.
FRAMING_BYTES = 4096


def topic_message_limit(kafka: KafkaSettings, topic: str) -> int:
    """The topic's effective ``max.message.bytes`` (its own, else the broker's), or the default."""
    from kafka.admin import ConfigResource, ConfigResourceType

    from newsstream.kafka_clients import make_admin

    try:
        admin = make_admin(kafka)
        try:
            described = admin.describe_configs([ConfigResource(ConfigResourceType.TOPIC, topic)])
        finally:
            admin.close()
        # Only values set on the topic are listed; an unset one is the broker's (default) value.
        value = described.get("topic", {}).get(topic, {}).get("max.message.bytes", {}).get("value")
        if value:
            return int(value)
    except Exception as exc:  # noqa: BLE001 - a conservative default is as good
        log.info("max.message.bytes of %s unknown (%s); assuming %d", topic, exc, DEFAULT_MESSAGE_LIMIT)
    return DEFAULT_MESSAGE_LIMIT


def compressed_size(value: bytes, compression: str) -> int:
    """About what ``value`` takes in a batch of its own under the producer's compression."""
    if compression == "zstd":
        import zstandard

        return len(zstandard.ZstdCompressor().compress(value))
    if compression == "gzip":
        import gzip

        return len(gzip.compress(value, compresslevel=6))
    return len(value)


class TooLarge(Exception):
    """The outcome of a send that was not attempted: the entry is over MAX_ENTRY_BYTES."""


def is_size_failure(outcome: Any) -> bool:
    """True when a send outcome (a future or an exception) failed because of the record's size."""
    if isinstance(outcome, (TooLarge, *SIZE_ERRORS)):
        return True
    if isinstance(outcome, BaseException) or not getattr(outcome, "is_done", False) or not outcome.failed():
        return False
    return isinstance(outcome.exception, SIZE_ERRORS)


class PoisonHandler:
    """Re-sends size failures alone and dead-letters what Kafka still refuses."""

    def __init__(
        self,
        sender: Any,
        raw_topic: str,
        dlq_topic: str,
        registry: CollectorRegistry,
        message_limit: int = DEFAULT_MESSAGE_LIMIT,
        compression: str = "zstd",
    ) -> None:
        self.sender = sender
        self.raw_topic = raw_topic
        self.dlq_topic = dlq_topic
        self.message_limit = message_limit
        self.compression = compression
        self.dead_letters = Counter(
            "newsstream_dlq_messages",
            "Messages sent to the dead-letter topic, by stage and reason",
            ["stage", "reason"],
            registry=registry,
        )
        self.dead_letters.labels(STAGE, "entry_too_large")

    def fits(self, value: bytes) -> bool:
        """Whether the broker will take ``value`` as one record. kafka-python 3.0.12 must never be
        sent one it refuses: its idempotent producer then enters a fatal state and fails every
        later send of the process (seen here: MessageSizeTooLargeError, "Aborting producer batches
        due to fatal error"), so the size is judged before sending, compressed as the client will."""
        if len(value) > MAX_ENTRY_BYTES:
            return False
        if len(value) + FRAMING_BYTES <= self.message_limit:
            return True
        return compressed_size(value, self.compression) + FRAMING_BYTES <= self.message_limit

    def settle(
        self, article: dict[str, Any], value: bytes | None, headers: list[tuple[str, bytes]], feed_url: str
    ) -> str:
        """``"delivered"`` (it went through alone), ``"dead_lettered"``, or an error text (retry later).

        ``value`` None: the round kept only the article's identity (producers/round.py), so an entry
        that is itself large is dead-lettered as metadata, and a small one (a batchmate of a large
        one) is left to the next poll."""
        size = len(value) if value is not None else int(article.get("bytes") or 0)
        if value is None:
            if size * 2 < self.message_limit:
                return "failed with a size error in a batch with a larger entry"
            return self._dead_letter(article, None, size, feed_url)
        if self.fits(value):
            try:
                self._send_now(self.raw_topic, article["article_id"].encode(), value, headers)
                return "delivered"
            except SIZE_ERRORS:
                pass
            except Exception as exc:  # noqa: BLE001 - not a size problem: retried on the next poll
                return f"{type(exc).__name__}: {exc}"
        return self._dead_letter(article, value, size, feed_url)

    def _dead_letter(self, article: dict[str, Any], value: bytes | None, size: int, feed_url: str) -> str:
        entry = article.get("entry") or {}
        reason = "entry_too_large"
        message = f"the encoded entry is {size} bytes; Kafka refused it"
        headers = [
            ("stage", STAGE.encode()),
            ("error.reason", reason.encode()),
            ("error.class", b"MessageSizeTooLarge"),
            ("error.message", message.encode()),
            ("source.topic", self.raw_topic.encode()),
            ("feed.url", feed_url.encode("utf-8", "replace")[:2000]),
        ]
        key = article["article_id"].encode()
        attempts: list[tuple[bytes, list[tuple[str, bytes]]]] = []
        if value is not None and len(value) <= MAX_DLQ_ARTICLE_BYTES and self.fits(value):
            attempts.append((value, headers))
        metadata = {
            "article_id": article["article_id"],
            "feed": article.get("feed"),
            "fetched_at": article.get("fetched_at"),
            "entry": {
                "guid": entry.get("guid"),
                "link": entry.get("link"),
                "title": str(entry.get("title") or "")[:1000],
                "fingerprint": entry.get("fingerprint"),
            },
            "bytes": size,
        }
        attempts.append((codec.dumps(metadata), [*headers, ("dlq.content", b"metadata")]))
        error = ""
        for body, body_headers in attempts:
            try:
                self._send_now(self.dlq_topic, key, body, body_headers)
            except Exception as exc:  # noqa: BLE001 - try the smaller form, then give up until the next poll
                error = f"{type(exc).__name__}: {exc}"
                continue
            self.dead_letters.labels(STAGE, reason).inc()
            log.warning(
                "entry sent to the dead-letter topic: %s",
                message,
                extra=fields(feed=feed_url, article_id=article["article_id"], link=entry.get("link"), reason=reason),
            )
            return "dead_lettered"
        return f"dead-lettering failed: {error}"

    def _send_now(self, topic: str, key: bytes, value: bytes, headers: list[tuple[str, bytes]]) -> None:
        future = self.sender.send(topic, value=value, key=key, headers=headers)
        self.sender.flush(timeout=SEND_TIMEOUT_S)
        if hasattr(future, "get"):
            future.get(timeout=SEND_TIMEOUT_S)
