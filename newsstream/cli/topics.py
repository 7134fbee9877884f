"""``newsstream topics create``: every topic of the pipeline, idempotently."""

from __future__ import annotations

import argparse

from newsstream.cli import _topics_info
from newsstream.cli._common import add_kafka_flag, load_config, require_broker
from newsstream.cli.specs import topic_fields
from newsstream.topics import create_topics


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    topics = subparsers.add_parser(
        "topics", help="the pipeline's Kafka topics: create them, list them, describe one with each group's lag"
    )
    sub = topics.add_subparsers(dest="topics_command", metavar="ACTION")
    create = sub.add_parser(
        "create",
        help="create every topic (idempotent)",
        description="Create the pipeline's topics; existing ones are left alone. State and title topics "
        "are compacted. Partitions: NEWSSTREAM_PARTITIONS (3); replication: NEWSSTREAM_REPLICATION_FACTOR (1).",
    )
    add_kafka_flag(create)
    create.add_argument("--partitions", type=int, help="partitions per topic (overrides NEWSSTREAM_PARTITIONS)")
    create.add_argument("--replication-factor", type=int, help="overrides NEWSSTREAM_REPLICATION_FACTOR")
    create.set_defaults(handler=_create)
    _topics_info.register(sub)


def _create(args: argparse.Namespace) -> int:
    config = load_config(args)
    require_broker(config)
    if args.partitions:
        config = config.with_overrides(partitions=args.partitions)
    if args.replication_factor:
        config = config.with_overrides(replication_factor=args.replication_factor)
    for spec, created in create_topics(config, topic_fields()):
        policy = "compact" if spec.compacted else "delete"
        print(f"{'created' if created else 'exists '}  {spec.name:28} {policy:8} {spec.purpose}")
    return 0
