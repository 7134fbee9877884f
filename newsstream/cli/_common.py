"""Helpers shared by the CLI modules: config loading with clear errors, logging set-up."""

from __future__ import annotations

import argparse

from newsstream.config import Config
from newsstream.log import setup_logging


def load_config(args: argparse.Namespace | None = None) -> Config:
    """Read the environment (ConfigError names a bad variable), apply common flags, set up logging."""
    config = Config.from_env()
    if args is not None and getattr(args, "bootstrap_servers", None):
        config = config.with_overrides(
            kafka=type(config.kafka)(**{**vars(config.kafka), "bootstrap_servers": args.bootstrap_servers})
        )
    setup_logging(config.log_format, config.log_level)
    return config


def require_broker(config: Config) -> None:
    """Fail at once, with the resolver's or the socket's reason, when no bootstrap server answers TCP
    (kafka-python would wait 30 s and say only "Unable to bootstrap")."""
    from newsstream.reach import check

    check(config.kafka.bootstrap_servers)


def add_kafka_flag(parser: argparse.ArgumentParser) -> None:
    """``--bootstrap-servers``, overriding KAFKA_BOOTSTRAP_SERVERS."""
    parser.add_argument(
        "--bootstrap-servers",
        metavar="HOST:PORT[,…]",
        help="Kafka bootstrap servers (overrides KAFKA_BOOTSTRAP_SERVERS, default localhost:9092)",
    )
