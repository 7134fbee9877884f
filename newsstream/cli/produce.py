"""``newsstream produce``: poll the feed list and push RawArticles to the raw topic."""

from __future__ import annotations

import argparse
import asyncio
import logging
from pathlib import Path

from newsstream import exit_codes
from newsstream.cli._common import add_kafka_flag, load_config, require_broker
from newsstream.errors import ConfigError, NewsstreamError
from producers.specs import PRODUCE

log = logging.getLogger("newsstream.produce")

DESCRIPTION = """\
Poll every enabled feed of the feed list on its schedule (conditional GET, adaptive interval with
jitter, backoff on errors), parse it, and send each new or changed entry as a RawArticle to the raw
topic (NEWSSTREAM_TOPIC_RAW, default news.raw.v1), keyed by article id, with the idempotent
producer. Fetch state (validators, fingerprints of emitted entries, schedule, last error) lives in
NEWSSTREAM_STATE_DIR/producer-state.sqlite3, so a restart emits nothing unchanged and misses nothing
new. Metrics and health: http://NEWSSTREAM_METRICS_HOST:PORT/metrics, /healthz, /readyz (ready after
the first round). SIGTERM finishes in-flight fetches, flushes, saves state and exits 0. SIGHUP, or
any change to the feed list file, reloads the list without losing fetch state (a list with an error
is logged and the previous one kept).
"""

EPILOG = """\
examples:
  newsstream produce                              every feed of feeds.toml, until SIGTERM
  newsstream produce --feeds my-feeds.toml --once one round over every feed, then exit
  newsstream produce --shard 0/3                  this instance takes a third of the feeds
                                                  (stable sha1 of the URL; run 1/3 and 2/3 too)
  NEWSSTREAM_ALLOW_PRIVATE_ADDRESSES=1 newsstream produce --feeds devtools/demo/feeds.toml

exit status with --once: 0 every feed polled fine; 3 some feeds (or sends) failed; 4 every feed
failed or none is enabled; 2 a bad flag or feed list. Without --once, 0 after SIGTERM.
"""


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser(
        PRODUCE.name,
        help=PRODUCE.summary,
        description=DESCRIPTION,
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    add_kafka_flag(parser)
    parser.add_argument("--feeds", type=Path, metavar="FILE", help="feed list (overrides NEWSSTREAM_FEEDS, feeds.toml)")
    parser.add_argument("--once", action="store_true", help="one round over every enabled feed, then exit 0")
    parser.add_argument("--shard", metavar="I/N", help="keep only the feeds whose sha1(url) mod N == I")
    parser.add_argument(
        "--metrics-port",
        type=int,
        metavar="PORT",
        help=f"metrics/health port (overrides NEWSSTREAM_METRICS_PORT, default {PRODUCE.default_port}; "
        "0 = any free port); "
        "with --once the server starts only when this is given",
    )
    parser.set_defaults(handler=_run)


def _run(args: argparse.Namespace) -> int:
    from kafka.errors import KafkaError
    from prometheus_client import CollectorRegistry

    from newsstream.health import HealthServer
    from newsstream.kafka_clients import make_producer
    from newsstream.shutdown import Shutdown
    from producers.base import Registry
    from producers.feeds import load_feeds
    from producers.poison import topic_message_limit
    from producers.reload import FeedListReloader
    from producers.shard import parse_shard, select_shard
    from producers.stage import ProduceStage
    from producers.state import StateStore

    config = load_config(args)
    if args.feeds:
        config = config.with_overrides(feeds_file=args.feeds)
    try:
        shard = parse_shard(args.shard) if args.shard else None
    except ValueError as exc:
        raise ConfigError(str(exc)) from None
    producers = Registry()
    feeds = select_shard(load_feeds(config.feeds_file, producers.names()), shard)
    enabled = [f for f in feeds if f.enabled]
    log.info(
        "producing %d feeds from %s%s to %s",
        len(enabled), config.feeds_file, f" (shard {args.shard})" if shard else "", config.topics.raw,
    )  # fmt: skip
    registry = CollectorRegistry()
    shutdown = Shutdown().install()
    state = StateStore(config.state_dir)
    # A send blocks while metadata is missing or the buffer is full; bound that, and check the raw
    # topic once up front so a missing topic is a clear error rather than a stalled loop.
    require_broker(config)
    sender = make_producer(config.kafka, max_block_ms=15_000)
    try:
        sender.partitions_for(config.topics.raw)
    except KafkaError as exc:
        sender.close(timeout=5)
        state.close()
        raise NewsstreamError(
            f"raw topic {config.topics.raw!r} is not available ({exc}); create it with `newsstream topics create`"
        ) from None
    reloader = FeedListReloader(
        Path(config.feeds_file), lambda: select_shard(load_feeds(config.feeds_file, producers.names()), shard)
    ).install()
    stage = ProduceStage(
        config, feeds, sender=sender, state=state, registry=registry, producers=producers, shutdown=shutdown,
        reloader=reloader, message_limit=topic_message_limit(config.kafka, config.topics.raw),
    )  # fmt: skip
    server = None
    if not args.once or args.metrics_port is not None:
        port = args.metrics_port if args.metrics_port is not None else PRODUCE.port(config)
        server = HealthServer(registry, config.metrics_host, port, ready=lambda: stage.ready).start()
        log.info("metrics and health on http://%s:%d/metrics", config.metrics_host, server.port)
    try:
        totals = asyncio.run(stage.run(once=args.once))
    finally:
        try:
            sender.flush(timeout=10)
            sender.close(timeout=10)
        finally:
            state.close()
            if server is not None:
                server.stop()
    log.info(
        "stopped after %d rounds: %d emitted, %d unchanged, %d errors, %d send failures",
        stage.rounds, totals.emitted, totals.skipped, totals.errors, totals.send_failures,
    )  # fmt: skip
    if not args.once:
        return exit_codes.OK  # stopped by SIGTERM: a clean stop, whatever the feeds did
    code = exit_codes.for_counts(totals.polled - totals.errors, totals.errors + totals.send_failures)
    if code != exit_codes.OK:
        log.warning(
            "exit %d: %d of %d feeds failed, %d sends failed (newsstream feeds status shows why)",
            code, totals.errors, totals.polled, totals.send_failures,
        )  # fmt: skip
    return code
