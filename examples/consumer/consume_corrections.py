"""Example downstream service: read correction events from news.corrections.v1 and validate them.

Needs kafka-python with zstandard (the stages write zstd batches: ``pip install kafka-python zstandard``)
and the ``schemas`` package of this repository (copy the folder, whose
one dependency is jsonschema-rs, or install newsstream from a clone with ``pip install -e .``; it
is not on the package index); it imports nothing else of
newsstream. Run it:

    python examples/consumer/consume_corrections.py --bootstrap-servers localhost:9092 --from-beginning

What it shows (docs/consuming.md explains each point):
- ``isolation_level="read_committed"``: only events of committed transactions are read;
- the CloudEvents attributes are Kafka headers (binary mode); the value is the event's ``data``;
- every event is validated against schemas/correction-event.v1.json before it is used;
- offsets are committed after the events are handled (at-least-once for this service), and
  ``ce_id`` is the key to deduplicate on after a restart.

Prints one JSON line per valid event ({"ce": {...headers}, "data": {...}}); invalid ones are
reported on stderr and skipped. Exits 0 after --max events or --timeout idle seconds.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Iterator
from typing import Any

from kafka import KafkaConsumer, TopicPartition
from kafka.structs import OffsetAndMetadata

import schemas

TOPIC = "news.corrections.v1"
REQUIRED_ATTRIBUTES = ("ce_specversion", "ce_id", "ce_source", "ce_type")


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--bootstrap-servers", default="localhost:9092")
    parser.add_argument("--topic", default=TOPIC)
    parser.add_argument("--group", default="example-corrections-consumer", help="consumer group id")
    parser.add_argument("--from-beginning", action="store_true", help="a new group starts at the earliest offset")
    parser.add_argument("--max", type=int, default=None, help="stop after N valid events")
    parser.add_argument("--timeout", type=float, default=None, help="stop after S idle seconds")
    return parser.parse_args(argv)


def cloudevent(record: Any) -> tuple[dict[str, str], dict[str, Any]]:
    """The CloudEvents attributes (header names without ``ce_``) and the validated ``data``.

    Raises ValueError (or schemas.InvalidMessage, a ValueError) when the record is not a valid event.
    """
    headers = {key: (value or b"").decode("utf-8") for key, value in (record.headers or [])}
    missing = [name for name in REQUIRED_ATTRIBUTES if name not in headers]
    if missing:
        raise ValueError(f"not a CloudEvent: missing headers {', '.join(missing)}")
    if headers.get("content-type", "application/json") != "application/json":
        raise ValueError(f"unexpected content-type {headers['content-type']!r}")
    data = json.loads(record.value)
    schemas.validate("correction-event", data)
    if headers["ce_type"] != f"news.article.{data['type']}":
        raise ValueError(f"ce_type {headers['ce_type']!r} does not match data.type {data['type']!r}")
    attributes = {key.removeprefix("ce_"): value for key, value in headers.items() if key.startswith("ce_")}
    return attributes, data


def records(consumer: KafkaConsumer, idle_timeout: float | None) -> Iterator[Any]:
    """Records as they arrive, until ``idle_timeout`` seconds pass without one (None: forever)."""
    last = time.monotonic()
    while idle_timeout is None or time.monotonic() - last < idle_timeout:
        for batch in consumer.poll(timeout_ms=500).values():
            last = time.monotonic()
            yield from batch


def commit(consumer: KafkaConsumer, handled: dict[TopicPartition, int]) -> None:
    """Commit the offset after the last handled record of each partition (at-least-once)."""
    if handled:
        consumer.commit({tp: OffsetAndMetadata(offset + 1, None, -1) for tp, offset in handled.items()})
        handled.clear()


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    consumer = KafkaConsumer(
        args.topic,
        bootstrap_servers=args.bootstrap_servers.split(","),
        group_id=args.group,
        isolation_level="read_committed",  # never see events of aborted transactions
        enable_auto_commit=False,
        auto_offset_reset="earliest" if args.from_beginning else "latest",
        key_deserializer=lambda key: key.decode("utf-8") if key is not None else None,
    )
    seen = 0
    handled: dict[TopicPartition, int] = {}
    try:
        for record in records(consumer, args.timeout):
            handled[TopicPartition(record.topic, record.partition)] = record.offset
            try:
                attributes, data = cloudevent(record)
            except ValueError as exc:  # a real service might forward these to its own dead-letter store
                print(f"skipped {record.topic}[{record.partition}]@{record.offset}: {exc}", file=sys.stderr)
                continue
            # Handle the event here; after a restart the same ce_id may come again: deduplicate on it.
            print(json.dumps({"key": record.key, "ce": attributes, "data": data}, ensure_ascii=False), flush=True)
            seen += 1
            if seen % 100 == 0:
                commit(consumer, handled)
            if args.max is not None and seen >= args.max:
                break
        commit(consumer, handled)
    except KeyboardInterrupt:
        commit(consumer, handled)
    finally:
        consumer.close()
    print(f"{seen} valid correction event(s)", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
