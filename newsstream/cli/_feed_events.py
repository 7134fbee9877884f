"""Correction events per feed, for ``newsstream feeds status --events``.

The corrections topic is read once from the beginning to its current end (read_committed, no
consumer group, nothing committed); each event is attributed to the feed that last emitted its
article (the producer's state knows which feed each article id came from).
"""

from __future__ import annotations

from collections import Counter

from newsstream import codec
from newsstream.config import Config
from newsstream.errors import DecodeError


def events_per_feed(config: Config, article_feeds: dict[str, str]) -> dict[str, Counter[str]]:
    """feed URL -> Counter of event types, over every committed event now in the corrections topic."""
    from kafka import TopicPartition

    from newsstream.kafka_clients import make_consumer

    consumer = make_consumer(config.kafka, None, allow_auto_create_topics=False)
    counts: dict[str, Counter[str]] = {}
    try:
        partitions = consumer.partitions_for_topic(config.topics.corrections) or set()
        assignment = [TopicPartition(config.topics.corrections, p) for p in sorted(partitions)]
        if not assignment:
            return counts
        consumer.assign(assignment)
        consumer.seek_to_beginning(*assignment)
        ends = consumer.end_offsets(assignment)
        while any(consumer.position(tp) < end for tp, end in ends.items()):
            for records in consumer.poll(timeout_ms=1000).values():
                for record in records:
                    try:
                        event = codec.loads(record.value)
                    except DecodeError:
                        continue
                    feed = article_feeds.get(str(event.get("article_id")))
                    if feed is not None:
                        counts.setdefault(feed, Counter())[str(event.get("type"))] += 1
        return counts
    finally:
        consumer.close()
