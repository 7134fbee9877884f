"""``newsstream run``: the whole pipeline locally, as separate processes, with a live view."""

from __future__ import annotations

import argparse
import logging
import os
import sys
import time
import uuid
from pathlib import Path
from typing import Any

from devtools import kafka as devkafka
from devtools.liveview import LiveView, describe_event, missing_events, scrape, status_line
from devtools.supervisor import Child, Supervisor, child_env, tail
from newsstream import codec
from newsstream.cli import _ports, _runs, specs
from newsstream.cli._common import add_kafka_flag, load_config
from newsstream.cli.specs import ARCHIVE, DETECT, NORMALIZE, PAGES, WEB
from newsstream.config import Config, Topics
from newsstream.errors import ConfigError, NewsstreamError
from newsstream.log import setup_logging
from newsstream.shutdown import Shutdown
from newsstream.topics import create_topics

log = logging.getLogger("newsstream.run")
DEMO_PREFIX = "demo-"

DESCRIPTION = """\
Run the whole pipeline on this machine: a local Kafka broker (started if none answers at
KAFKA_BOOTSTRAP_SERVERS), the topics, the demo feed server (unless --feeds is given), and the
producer, normalizer, correction detector, page revisitor, archive and its web page as separate
processes (the web page's URL is printed; NEWSSTREAM_WEB_PORT moves it). The terminal shows
per-stage counts and each correction event as it arrives. Ctrl-C stops every process it started.

The demo uses fresh topics per run (demo-<run id>.news.*.v1), so
every run shows the whole scenario: an article "US downs Turkish drone in northeast Syria: War
monitor", later a corrected piece whose CORRECTION notice names it, headline and body edits, a live
blog, notices in Spanish, French and German, and hard negatives that must stay silent. Each run
records the topics it created (.newsstream/run/<run id>/run.json); the next run deletes those of
ended earlier runs on the same broker, and no other topic, whatever its name.
"""

EPILOG = """\
examples:
  newsstream run                         the demo, until Ctrl-C
  newsstream run --exit-when-idle        the demo; exit 0 once every expected event was seen
  newsstream run --feeds feeds.toml      real feeds (needs internet), on the configured topics
  newsstream run --metrics-port normalize=19102   another port for one stage (9102 is taken)
  NEWSSTREAM_METRICS_PORT=19101 newsstream run    every stage from 19101 up (produce, normalize,
                                                  detect-corrections, pages, archive)
  newsstream tail corrections --run last --from-beginning   the last demo's events, afterwards
metrics ports: produce 9101, normalize 9102, detect-corrections 9103, pages 9104, archive 9106;
  each can be set by --metrics-port STAGE=PORT or NEWSSTREAM_METRICS_PORT_<STAGE>
  (e.g. NEWSSTREAM_METRICS_PORT_PAGES); a taken port stops the run before anything starts
logs: .newsstream/run/<run id>/logs/<process>.log
"""


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser(
        "run", help="the whole pipeline locally with a live view (demo feeds by default)",
        description=DESCRIPTION, epilog=EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter,
    )  # fmt: skip
    add_kafka_flag(parser)
    parser.add_argument("--feeds", type=Path, metavar="FILE", help="run on this feed list instead of the demo")
    parser.add_argument(
        "--exit-when-idle",
        action="store_true",
        help="exit 0 once the demo scenario has been fully processed (every expected event seen)",
    )
    parser.add_argument(
        "--timeout",
        type=float,
        default=300,
        help="with --exit-when-idle: give up (exit 1) after this many seconds (300)",
    )
    parser.add_argument(
        "--metrics-port", action="append", default=[], metavar="STAGE=PORT",
        help="metrics/health port of one stage (repeatable; overrides NEWSSTREAM_METRICS_PORT_<STAGE>)",
    )  # fmt: skip
    parser.add_argument(
        "--step-seconds", type=float, default=8.0, help="demo: seconds between versions of the demo feeds (8)"
    )
    parser.set_defaults(handler=_run)


def _demo_topics(run_id: str) -> Topics:
    return Topics(**{k: f"{DEMO_PREFIX}{run_id}.{v}" for k, v in vars(Topics()).items()})


def _port_env(env: dict[str, str], port: int) -> dict[str, str]:
    return {**env, "NEWSSTREAM_METRICS_PORT": str(port)}


def _topic_env(topics: Topics) -> dict[str, str]:
    """NEWSSTREAM_TOPIC_<FIELD> for every topic (the names Config.from_env reads)."""
    return {f"NEWSSTREAM_TOPIC_{name.upper()}": value for name, value in vars(topics).items()}


def _ensure_broker(config: Config) -> bool:
    """Start the local dev broker when nothing answers; True if this run started it."""
    security = {k: v for k, v in config.kafka.client_options().items() if k != "bootstrap_servers"}
    if devkafka.answers(config.kafka.bootstrap_servers, **security):
        print(f"using the Kafka broker at {config.kafka.bootstrap_servers}")
        return False
    local = devkafka.bootstrap_servers(1)
    if config.kafka.bootstrap_servers.replace("localhost", "127.0.0.1") != local:
        from newsstream.reach import diagnose

        why = diagnose(config.kafka.bootstrap_servers)  # the resolver's or the socket's reason, if any
        raise NewsstreamError(
            why
            or f"no Kafka broker answers at {config.kafka.bootstrap_servers} (it accepts connections, "
            "but not Kafka metadata requests: check KAFKA_SECURITY_PROTOCOL / KAFKA_SASL_*)"
        )
    print("starting the local Kafka broker (first run resolves its jars from Maven Central)…")
    devkafka.up()
    print(f"Kafka {devkafka.kafka_version()} is up at {local}")
    return True


def _run(args: argparse.Namespace) -> int:
    config = load_config(args)
    setup_logging("console", config.log_level)  # run is for a person at a terminal, even when piped
    demo = args.feeds is None
    run_id = time.strftime("%Y%m%d-%H%M%S") + "-" + uuid.uuid4().hex[:4]
    run_dir = config.state_dir / "run" / run_id
    ports = _ports.stage_ports(args.metrics_port, os.environ)
    _ports.check_free(config.metrics_host, ports)
    _check_web_port(config)
    started_broker = _ensure_broker(config)
    if demo:
        _runs.delete_earlier_run_topics(config)
        config = config.with_overrides(topics=_demo_topics(run_id))
        _runs.write_record(config.state_dir, run_id, config.kafka.bootstrap_servers, config.topics)
    for spec, created in create_topics(config, specs.topic_fields()):
        if created:
            log.debug("created topic %s", spec.name)
    print(f"topics ready ({config.topics.raw}, {config.topics.normalized}, {config.topics.corrections}, …)")

    env = child_env(
        KAFKA_BOOTSTRAP_SERVERS=config.kafka.bootstrap_servers,
        NEWSSTREAM_LOG_FORMAT="console",
        NEWSSTREAM_STATE_DIR=str(run_dir / "state"),
        **_topic_env(config.topics),
    )
    for name in ("NEWSSTREAM_METRICS_PORT", *map(_ports.env_name, _ports.RUN_STAGES)):
        env.pop(name, None)  # each child gets its own port below
    supervisor = Supervisor()
    shutdown = Shutdown().install()
    expected: list[dict[str, Any]] = []
    logs = run_dir / "logs"
    all_started = False
    try:
        if demo:
            from devtools import demo as demo_feeds

            expected = demo_feeds.expected_events()
            env["NEWSSTREAM_ALLOW_PRIVATE_ADDRESSES"] = "1"
            env["NEWSSTREAM_POLL_FLOOR_SECONDS"] = str(max(1.0, args.step_seconds / 4))
            feeds_file = run_dir / "demo-feeds.toml"
            feeds_file.parent.mkdir(parents=True, exist_ok=True)
            feeds_file.write_text(
                demo_feeds.feeds_toml(demo_feeds.DEFAULT_PORT).replace(
                    'interval = "3s"', f'interval = "{max(1, int(args.step_seconds / 4))}s"'
                ),
                encoding="utf-8",
            )
            supervisor.start(
                Child(
                    "demo feeds",
                    ["dev", "feeds", "serve", "--step-seconds", str(args.step_seconds)],
                    env,
                    logs / "demo-feeds.log",
                )
            )
        else:
            feeds_file = args.feeds
        group_suffix = f"-{run_id}" if demo else ""
        supervisor.start(
            Child(
                "producer",
                ["produce", "--feeds", str(feeds_file)],
                _port_env(env, ports["produce"]),
                logs / "producer.log",
                ports["produce"],
            )
        )
        supervisor.start(
            Child(
                "normalize",
                [
                    NORMALIZE.name,
                    "--group",
                    f"{NORMALIZE.group_id}{group_suffix}",
                    "--instance-id",
                    f"run{group_suffix}",
                ],
                _port_env(env, ports["normalize"]),
                logs / "normalize.log",
                ports["normalize"],
            )
        )
        supervisor.start(
            Child(
                "detect",
                [
                    DETECT.name,
                    "--group",
                    f"{DETECT.group_id}{group_suffix}",
                    "--instance-id",
                    f"run{group_suffix}",
                ],
                _port_env(env, ports["detect-corrections"]),
                logs / "detect.log",
                ports["detect-corrections"],
            )
        )
        supervisor.start(
            Child(
                "pages",
                [PAGES.name, "--group", f"{PAGES.group_id}{group_suffix}", "--instance-id", f"run{group_suffix}"],
                _port_env(env, ports["pages"]),
                logs / "pages.log",
                ports["pages"],
            )
        )
        # The archive of this run (SQLite in its state dir, or NEWSSTREAM_ARCHIVE_DSN) and its web page.
        supervisor.start(
            Child(
                "archive",
                [ARCHIVE.name, "--group", f"{ARCHIVE.group_id}{group_suffix}"],
                _port_env(env, ports["archive"]),
                logs / "archive.log",
                ports["archive"],
            )
        )
        supervisor.start(
            Child(WEB.name, [WEB.name, "--port", str(config.web_port)], env, logs / "web.log", config.web_port)
        )
        print("\n".join(_metrics_lines(config, ports)))
        print(f"archive web page: http://{config.web_host}:{config.web_port}/ (corrections, diffs, search, Atom)")
        print(f"running; logs in {logs}. Ctrl-C stops everything.\n")
        all_started = True
        return _watch(config, supervisor, shutdown, expected, args, demo, ports)
    finally:
        print("\nstopping…")
        for line in supervisor.stop_all():
            print("  " + line)
        print("every process this run started has stopped.")
        if all_started:
            print(where_to_look(config, ports, demo))
        if started_broker:
            print("the local Kafka broker it started keeps running for the next run; "
                  "stop it with: newsstream dev kafka down")  # fmt: skip


def _check_web_port(config: Config) -> None:
    """ConfigError before anything starts when the web page's port is taken."""
    import socket

    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((config.web_host, config.web_port))
        except OSError as exc:
            spare = _ports.free_port(config.web_host)
            raise ConfigError(
                f"the archive web page's port {config.web_port} is taken on {config.web_host} ({exc.strerror}); "
                f"give it a free one: NEWSSTREAM_WEB_PORT={spare} newsstream run"
            ) from None


def _watch(
    config: Config,
    supervisor: Supervisor,
    shutdown: Shutdown,
    expected: list[dict[str, Any]],
    args: argparse.Namespace,
    demo: bool,
    ports: dict[str, int],
) -> int:
    from newsstream.kafka_clients import make_consumer

    consumer = make_consumer(
        config.kafka, None, config.topics.corrections, auto_offset_reset="earliest" if demo else "latest"
    )
    view_ports = {
        "producer": ports["produce"],
        "normalize": ports["normalize"],
        "detect": ports["detect-corrections"],
        "pages": ports["pages"],
    }
    seen: list[dict[str, Any]] = []
    started = time.monotonic()
    view = LiveView(sys.stdout)
    announced = False
    try:
        while not shutdown.requested:
            for child in supervisor.reap():
                view.close()
                print(
                    f"\n{child.name} exited with code {child.exit_code()}; last lines of {child.log_path}:\n"
                    f"{tail(child.log_path)}",
                    file=sys.stderr,
                )
                return 1
            for records in consumer.poll(timeout_ms=1000).values():
                for record in records:
                    event = codec.loads(record.value)
                    seen.append(event)
                    view.line(describe_event(event))
            view.status(status_line({s: scrape(port) for s, port in view_ports.items()}), time.monotonic() - started)
            missing = missing_events(expected, seen) if demo else []
            if demo and not missing and not announced:
                announced = True  # said once, with or without --exit-when-idle
                view.line(
                    f"✔ demo scenario complete: every expected event seen in {time.monotonic() - started:.0f} s"
                    + ("" if args.exit_when_idle else " (the pipeline keeps running; Ctrl-C stops it)")
                )
            if args.exit_when_idle and demo:
                if not missing:
                    view.close()
                    _summary(seen, time.monotonic() - started)
                    return 0
                if time.monotonic() - started > args.timeout:
                    view.close()
                    print(f"\ngave up after {args.timeout:.0f} s; still missing:", file=sys.stderr)
                    for want in missing:
                        print(f"  {want['type']}: {want['title']}", file=sys.stderr)
                    return 1
        return 0
    finally:
        view.close()
        consumer.close()


def where_to_look(config: Config, ports: dict[str, int], demo: bool) -> str:
    """The commands that read this run's topics, and each stage's metrics URL."""
    bootstrap = config.kafka.bootstrap_servers
    tail_flags = " --run last" if demo else ""
    lines = [
        f"\nthe events stay in {config.topics.corrections} (on {bootstrap}); read them again with:",
        f"  newsstream tail corrections --from-beginning --timeout 5{tail_flags}",
        f"  newsstream tail {config.topics.corrections} --bootstrap-servers {bootstrap} --from-beginning --timeout 5",
        f"  kcat -C -b {bootstrap} -t {config.topics.corrections} -X isolation.level=read_committed "
        "-o beginning -e -q -f '%k %h %s\\n'",
    ]
    return "\n".join([*lines, *_metrics_lines(config, ports)])


def _metrics_lines(config: Config, ports: dict[str, int]) -> list[str]:
    host = "127.0.0.1" if config.metrics_host in ("0.0.0.0", "") else config.metrics_host  # noqa: S104
    return [
        "metrics of each stage (while it runs):",
        *(f"  {stage:<19} http://{host}:{port}/metrics" for stage, port in ports.items()),
    ]


def _summary(seen: list[dict[str, Any]], elapsed: float) -> None:
    counts: dict[str, int] = {}
    for event in seen:
        counts[event["type"]] = counts.get(event["type"], 0) + 1
    print(
        f"\ndemo scenario fully processed in {elapsed:.0f} s: {len(seen)} events "
        f"({', '.join(f'{k} {v}' for k, v in sorted(counts.items()))})"
    )
    seed = next((e for e in seen if e["type"] == "correction" and e.get("referenced_article")), None)
    if seed:
        ref = seed["referenced_article"]
        print(f"seed correction: “{seed['title']}” corrects “{ref['title']}” (article {ref['article_id']})")
