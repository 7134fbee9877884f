"""``newsstream topics list`` and ``topics describe TOPIC`` (registered by ``topics.py``).

Messages are counted as the span of offsets (end minus beginning) per partition: for a compacted
topic it is an upper bound, and on topics written in transactions it includes one commit marker per
transaction and partition. Lag is the end offset minus a group's committed offset.
"""

from __future__ import annotations

import argparse
import sys
from typing import Any

from newsstream import codec, exit_codes
from newsstream.cli._common import add_kafka_flag, load_config, require_broker
from newsstream.config import Config
from newsstream.errors import NewsstreamError

EPILOG = """\
examples:
  newsstream topics list                       every topic of the pipeline: partitions, messages
  newsstream topics describe corrections       partitions, leaders, offsets, each group's lag
  newsstream topics describe news.raw.v1 --json | jq '.groups'
  newsstream topics list --run last            the topics of the last `newsstream run` demo
"""


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    listing = sub.add_parser(
        "list",
        help="the pipeline's topics: exists?, partitions, messages, cleanup policy",
        description="Every topic of the pipeline under its configured name (NEWSSTREAM_TOPIC_*): whether it "
        "exists, its partitions, its messages (offset span: an upper bound on compacted topics, and "
        "including transaction markers), its cleanup policy and what it carries.",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    add_kafka_flag(listing)
    _run_flag(listing)
    listing.add_argument("--json", action="store_true", help="one JSON object per topic")
    listing.set_defaults(handler=_list)
    describe = sub.add_parser(
        "describe",
        help="one topic's partitions, offsets and every consumer group's lag",
        description="Per partition: leader, replicas, in-sync replicas, first and next offset; then every "
        "consumer group with committed offsets on the topic, with its lag per partition and in total.",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    add_kafka_flag(describe)
    _run_flag(describe)
    describe.add_argument("topic", metavar="TOPIC", help="a topic name or alias (raw, normalized, corrections, ...)")
    describe.add_argument("--json", action="store_true", help="one JSON object")
    describe.set_defaults(handler=_describe)


def _run_flag(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--run", metavar="RUN_ID|last", help="the topics (and broker) of a `newsstream run` demo, e.g. last"
    )


def _config(args: argparse.Namespace) -> Config:
    from newsstream.cli.tail import run_config

    config = load_config(args)
    if args.run:
        config = run_config(config, args.run, bool(args.bootstrap_servers))
    require_broker(config)
    return config


def _offsets(consumer: Any, topic: str, partitions: list[int]) -> dict[int, tuple[int, int]]:
    from kafka import TopicPartition

    tps = [TopicPartition(topic, p) for p in partitions]
    begin, end = consumer.beginning_offsets(tps), consumer.end_offsets(tps)
    return {tp.partition: (begin[tp], end[tp]) for tp in tps}


def topic_rows(config: Config) -> list[dict[str, Any]]:
    """One row per pipeline topic (absent ones included, with ``exists`` False)."""
    from newsstream.cli.specs import topic_fields
    from newsstream.kafka_clients import make_consumer
    from newsstream.topics import topic_specs

    consumer = make_consumer(config.kafka, None, allow_auto_create_topics=False)
    try:
        existing = consumer.topics()
        rows = []
        for spec in topic_specs(config, topic_fields()):
            row: dict[str, Any] = {
                "topic": spec.name, "exists": spec.name in existing, "partitions": None, "messages": None,
                "cleanup_policy": "compact" if spec.compacted else "delete", "purpose": spec.purpose,
            }  # fmt: skip
            if row["exists"]:
                partitions = sorted(consumer.partitions_for_topic(spec.name) or [])
                offsets = _offsets(consumer, spec.name, partitions)
                row["partitions"] = len(partitions)
                row["messages"] = sum(end - begin for begin, end in offsets.values())
            rows.append(row)
        return rows
    finally:
        consumer.close()


def describe_topic(config: Config, topic: str) -> dict[str, Any]:
    """Partitions (leader, replicas, ISR, offsets) and the lag of every group with commits on ``topic``."""
    from newsstream.kafka_clients import make_admin, make_consumer

    consumer = make_consumer(config.kafka, None, allow_auto_create_topics=False)
    admin = make_admin(config.kafka)
    try:
        if topic not in consumer.topics():
            raise NewsstreamError(f"topic {topic!r} does not exist (newsstream topics list shows the pipeline's)")
        meta = admin.describe_topics([topic])[0]
        partitions = sorted(p["partition_index"] for p in meta["partitions"])
        offsets = _offsets(consumer, topic, partitions)
        rows = [
            {
                "partition": p["partition_index"], "leader": p["leader_id"], "replicas": p["replica_nodes"],
                "isr": p["isr_nodes"], "first_offset": offsets[p["partition_index"]][0],
                "next_offset": offsets[p["partition_index"]][1],
            }
            for p in sorted(meta["partitions"], key=lambda p: p["partition_index"])
        ]  # fmt: skip
        groups: dict[str, Any] = {}
        group_ids = [g["group_id"] for g in admin.list_groups()]
        committed = admin.list_group_offsets({g: None for g in group_ids}) if group_ids else {}
        for group_id, by_partition in sorted(committed.items()):
            mine = {tp.partition: meta.offset for tp, meta in by_partition.items() if tp.topic == topic}
            if not mine:
                continue
            # JSON object keys are strings: partitions as "0", "1", ...
            lag = {str(p): max(0, offsets[p][1] - mine[p]) for p in sorted(mine) if p in offsets}
            groups[group_id] = {
                "committed": {str(p): o for p, o in sorted(mine.items())}, "lag": lag, "total_lag": sum(lag.values()),
            }  # fmt: skip
        return {"topic": topic, "partitions": rows, "groups": groups}
    finally:
        admin.close()
        consumer.close()


def _list(args: argparse.Namespace) -> int:
    config = _config(args)
    rows = topic_rows(config)
    if args.json:
        for row in rows:
            sys.stdout.buffer.write(codec.dumps(row) + b"\n")
        return exit_codes.OK
    print(f"{'TOPIC':32} {'PARTS':>5} {'MESSAGES':>10} {'POLICY':8} WHAT")
    for row in rows:
        parts = row["partitions"] if row["exists"] else "-"
        messages = row["messages"] if row["exists"] else "missing"
        print(f"{row['topic']:32} {parts!s:>5} {messages!s:>10} {row['cleanup_policy']:8} {row['purpose']}")
    missing = [r["topic"] for r in rows if not r["exists"]]
    if missing:
        print(f"{len(missing)} missing; `newsstream topics create` makes them", file=sys.stderr)
    return exit_codes.OK


def _describe(args: argparse.Namespace) -> int:
    from newsstream.cli.tail import resolve_topic

    config = _config(args)
    info = describe_topic(config, resolve_topic(config, args.topic))
    if args.json:
        sys.stdout.buffer.write(codec.dumps(info) + b"\n")
        return exit_codes.OK
    print(f"{info['topic']}: {len(info['partitions'])} partitions")
    print(f"  {'PART':>4} {'LEADER':>6} {'REPLICAS':10} {'ISR':10} {'FIRST':>10} {'NEXT':>10}")
    for p in info["partitions"]:
        replicas, isr = ",".join(map(str, p["replicas"])), ",".join(map(str, p["isr"]))
        first, after = p["first_offset"], p["next_offset"]
        print(f"  {p['partition']:>4} {p['leader']:>6} {replicas:10} {isr:10} {first:>10} {after:>10}")
    if not info["groups"]:
        print("no consumer group has committed offsets on it")
    for group, data in info["groups"].items():
        per = "  ".join(f"p{p}={lag}" for p, lag in data["lag"].items())
        print(f"group {group}: lag {data['total_lag']}  ({per})")
    return exit_codes.OK
