"""``newsstream dev kafka up|down|status|tool``: a real local Kafka broker without Docker."""

from __future__ import annotations

import argparse
import time

from devtools import kafka as devkafka
from newsstream.log import setup_logging


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    dev = subparsers.add_parser("dev", help="development helpers: local Kafka broker, demo feed server")
    dev_sub = dev.add_subparsers(dest="dev_command", metavar="WHAT")
    kafka = dev_sub.add_parser(
        "kafka",
        help="a local Apache Kafka broker (KRaft) from Maven-resolved jars",
        description=f"Run Apache Kafka {devkafka.kafka_version()} locally from jars resolved by Maven into "
        f"{devkafka.LIBS} (data and logs beside them). Needs Java 17+ and Maven.",
    )
    kafka_sub = kafka.add_subparsers(dest="kafka_command", metavar="ACTION")
    up = kafka_sub.add_parser("up", help="resolve jars, format once, start, wait until it answers")
    up.add_argument("--brokers", type=int, choices=(1, 3), default=1, help="1 (default) or a 3-node cluster")
    up.add_argument("--timeout", type=float, default=devkafka.READY_TIMEOUT_S, help="seconds to wait (60)")
    up.set_defaults(handler=_up)
    down = kafka_sub.add_parser("down", help="stop the broker(s) started by 'up'")
    down.add_argument("--brokers", type=int, choices=(1, 3), default=1)
    down.set_defaults(handler=_down)
    status = kafka_sub.add_parser("status", help="up or down, bootstrap address, Kafka version")
    status.add_argument("--brokers", type=int, choices=(1, 3), default=1)
    status.set_defaults(handler=_status)
    tool = kafka_sub.add_parser(
        "tool",
        help="run one of Kafka's own tools from the same jars",
        description="Known tools: " + ", ".join(sorted(devkafka.TOOLS)),
    )
    tool.add_argument("name", help="tool name, e.g. kafka-topics")
    tool.add_argument("args", nargs=argparse.REMAINDER, help="arguments passed to the tool")
    tool.set_defaults(handler=_tool)
    _register_feeds(dev_sub)


def _register_feeds(dev_sub: argparse._SubParsersAction) -> None:
    from devtools import demo

    feeds = dev_sub.add_parser(
        "feeds",
        help="the offline demo feeds (fictional outlets whose stories change over time)",
        description="Demo feeds for offline runs; the producer reads them from "
        f"{demo.DEMO_FEEDS_TOML} (set NEWSSTREAM_ALLOW_PRIVATE_ADDRESSES=1: they are on loopback).",
    )
    feeds_sub = feeds.add_subparsers(dest="feeds_command", metavar="ACTION")
    serve = feeds_sub.add_parser(
        "serve",
        help="serve the demo feeds as successive versions (ETag/Last-Modified, 304s)",
        description="Serve the demo feeds. The step advances every --step-seconds (0: only on POST /_advance) "
        f"up to {demo.MAX_STEP}; GET /_state shows it. Ctrl-C stops.",
    )
    serve.add_argument("--host", default="127.0.0.1", help="address to bind (127.0.0.1)")
    serve.add_argument("--port", type=int, default=demo.DEFAULT_PORT, help=f"port ({demo.DEFAULT_PORT}; 0 = any free)")
    serve.add_argument(
        "--step-seconds", type=float, default=demo.DEFAULT_STEP_SECONDS, help="seconds per step (15; 0 = manual)"
    )
    serve.set_defaults(handler=_feeds_serve)


def _up(args: argparse.Namespace) -> int:
    setup_logging("console")
    started = time.monotonic()
    bootstrap, fresh = devkafka.up(args.brokers, args.timeout)
    if fresh:
        print(f"Kafka {devkafka.kafka_version()} is up at {bootstrap} ({time.monotonic() - started:.1f} s)")
    else:
        print(f"Kafka {devkafka.kafka_version()} was already up at {bootstrap}")
    return 0


def _down(args: argparse.Namespace) -> int:
    print("stopped the local Kafka broker" if devkafka.down(args.brokers) else "no local Kafka broker was running")
    return 0


def _status(args: argparse.Namespace) -> int:
    import os

    from newsstream.reach import describe

    info = devkafka.status(args.brokers)
    bootstrap = str(info["bootstrap_servers"])
    if info["state"] == "up":
        print(
            f"up  bootstrap={bootstrap}  kafka={info['kafka_version']}  pids={info['pids'] or '-'}  log={info['log']}"
        )
        return 0
    # Not ours; but something may answer there (a broker from another checkout, Docker, a service).
    found = describe(bootstrap)
    if found is not None:
        print(
            f"up (not started from this checkout)  bootstrap={bootstrap}  kafka protocol {found['version']}  "
            f"cluster={found['cluster_id']}  brokers={','.join(found['brokers'])}\n"
            f"  no broker of {devkafka.CACHE} runs; `newsstream dev kafka down` will not stop this one"
        )
        return 0
    print(f"down  bootstrap={bootstrap}  kafka={info['kafka_version']}  log={info['log']}")
    configured = os.environ.get("KAFKA_BOOTSTRAP_SERVERS")
    if configured and configured.replace("localhost", "127.0.0.1") != bootstrap:
        other = describe(configured)
        answer = (
            f"a Kafka broker answers (protocol {other['version']}, cluster {other['cluster_id']})"
            if other
            else "nothing answers"
        )
        print(f"  KAFKA_BOOTSTRAP_SERVERS={configured}: {answer}")
    return 1


def _feeds_serve(args: argparse.Namespace) -> int:
    from devtools import demo
    from newsstream.shutdown import Shutdown

    setup_logging("console")
    stop = Shutdown().install()
    server = demo.serve(args.host, args.port, args.step_seconds)
    print(f"demo feeds at {server.url('/')} (step {server.step} of {server.max_step}; Ctrl-C stops):")
    for feed in demo.FEEDS:
        print(f"  {server.url(feed.path)}  {feed.publisher} ({feed.kind})")
    try:
        while not stop.wait(1.0):
            pass
    finally:
        server.shutdown()
    return 0


def _tool(args: argparse.Namespace) -> int:
    rest = list(args.args)
    if rest and rest[0] == "--":
        rest = rest[1:]
    return devkafka.run_tool(args.name, rest)
