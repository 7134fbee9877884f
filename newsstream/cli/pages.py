"""``newsstream pages``: revisit article pages on an age ladder and send what they say now."""

from __future__ import annotations

import argparse
import logging
import os
from collections.abc import Callable
from typing import TYPE_CHECKING, TypeVar

from newsstream.cli._common import add_kafka_flag, load_config
from newsstream.errors import ConfigError
from producers.pages.settings import PagesConfig, parse_duration, parse_ladder
from producers.specs import PAGES

if TYPE_CHECKING:  # the stage imports Kafka clients: only when the command runs
    from producers.pages.stage import PagesSettings

log = logging.getLogger("newsstream.pages")
T = TypeVar("T")

DESCRIPTION = """\
Learn article URLs from the normalized topic (NEWSSTREAM_TOPIC_NORMALIZED; the first sighting of a
feed article's id), revisit each page on an age ladder (default 15m,1h,3h,12h,1d,3d,7d,30d after the
first sighting, then never), and send each new page version to the raw topic as a RawArticle with
source "page" and the same article id, so the normalizer and the detector treat it as a version. A
page gone (404/410 twice, --gone-confirm apart, or a redirect to the home page) is sent with
page.gone set: the detector emits an `unpublished` event. Polite: robots.txt honoured (cached per
host, Crawl-delay respected), one request at a time per host with --host-delay between requests,
overdue revisits spread out (counted, never a burst). The schedule lives in the compacted topic
NEWSSTREAM_TOPIC_PAGE_SCHEDULE (default news.page-schedule.v1), co-partitioned with the input, so
instances in one consumer group split the work by partition and a restart resumes where it was.

The ladders, the host delay, --gone-confirm and --max-age are read from NEWSSTREAM_PAGES_LADDER,
NEWSSTREAM_PAGES_PUBLISHER_LADDERS ("Name=1h,1d;Other=off"), NEWSSTREAM_PAGES_HOST_DELAY_SECONDS,
NEWSSTREAM_PAGES_GONE_CONFIRM and NEWSSTREAM_PAGES_MAX_AGE; a flag overrides its variable.
"""

EPILOG = """\
examples:
  newsstream pages                                         default ladder, every publisher
  newsstream pages --ladder 1h,1d,7d                       a shorter ladder
  newsstream pages --publisher-ladder "Rudaw=15m,1h,1d" --publisher-ladder "Daily Wire=off"
  newsstream pages --host-delay 10 --max-active 8          gentler

Exactly-once: each revisit's RawArticle, its schedule record and the consumed offsets are committed
in one Kafka transaction. SIGTERM lets in-flight revisits finish (5 s), commits, exits 0.
"""


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser(
        PAGES.name,
        help=PAGES.summary,
        description=DESCRIPTION,
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    add_kafka_flag(parser)
    parser.add_argument("--group", default=PAGES.group_id, help=f"consumer group id (default {PAGES.group_id})")
    parser.add_argument(
        "--instance-id",
        help="stable id of this instance (default NEWSSTREAM_INSTANCE_ID or the host name); part of the "
        "transactional id, so a restarted instance fences its predecessor",
    )
    parser.add_argument(
        "--ladder", default=None, metavar="STEPS",
        help="revisit offsets after first sighting, e.g. 15m,1h,3h,12h,1d,3d,7d,30d (the default); 'off' = none "
        "(overrides NEWSSTREAM_PAGES_LADDER)",
    )  # fmt: skip
    parser.add_argument(
        "--publisher-ladder", action="append", default=[], metavar="PUBLISHER=STEPS",
        help="a ladder for one publisher (as NormalizedArticle.publisher names it); STEPS may be 'off'; repeatable; "
        "replaces that publisher's entry in NEWSSTREAM_PAGES_PUBLISHER_LADDERS",
    )  # fmt: skip
    parser.add_argument(
        "--host-delay", type=float, default=None, metavar="S",
        help="seconds between requests to a host (NEWSSTREAM_PAGES_HOST_DELAY_SECONDS, default 5)",
    )  # fmt: skip
    parser.add_argument("--per-host", type=int, default=1, metavar="N", help="concurrent requests per host (1)")
    parser.add_argument("--max-active", type=int, default=16, metavar="N", help="concurrent revisits in all (16)")
    parser.add_argument("--max-rate", type=float, default=10.0, metavar="R", help="revisits started per second (10)")
    parser.add_argument(
        "--gone-confirm", default=None, metavar="DURATION",
        help="a second 404/410 at least this long after the first makes the page gone "
        "(NEWSSTREAM_PAGES_GONE_CONFIRM, default 10m)",
    )  # fmt: skip
    parser.add_argument(
        "--max-age", default=None, metavar="DURATION",
        help="do not schedule articles published longer ago than this; 0 = no limit "
        "(NEWSSTREAM_PAGES_MAX_AGE, default 30d)",
    )  # fmt: skip
    parser.add_argument("--no-robots", action="store_true", help="do not read robots.txt (only for your own sites)")
    parser.add_argument(
        "--metrics-port", type=int, metavar="PORT",
        help=f"metrics/health port (overrides NEWSSTREAM_METRICS_PORT, default {PAGES.default_port}; "
        "0 = any free port)",
    )  # fmt: skip
    parser.set_defaults(handler=_run)


def build_settings(args: argparse.Namespace, instance_id: str, pages: PagesConfig | None = None) -> PagesSettings:
    """PagesSettings from the flags, each falling back to its NEWSSTREAM_PAGES_* value in ``pages``
    (ConfigError names a bad flag)."""
    from producers.pages.ladder import LadderPolicy
    from producers.pages.revisit import RevisitSettings
    from producers.pages.stage import PagesSettings

    env = pages or PagesConfig()
    default = _flag("--ladder", args.ladder, parse_ladder, env.ladder)
    per_publisher = dict(env.publisher_ladders)
    for item in args.publisher_ladder:
        name, sep, steps = item.rpartition("=")
        if not sep or not name.strip():
            raise ConfigError(f"--publisher-ladder {item!r}: expected PUBLISHER=STEPS")
        per_publisher[name.strip()] = _flag("--publisher-ladder", steps, parse_ladder, ())
    gone_confirm = _flag("--gone-confirm", args.gone_confirm, parse_duration, env.gone_confirm_seconds)
    max_age = _flag("--max-age", args.max_age, parse_duration, env.max_age_seconds)
    host_delay = args.host_delay if args.host_delay is not None else env.host_delay_seconds
    for flag, value in (("--per-host", args.per_host), ("--max-active", args.max_active)):
        if value < 1:
            raise ConfigError(f"{flag} must be at least 1")
    return PagesSettings(
        revisit=RevisitSettings(LadderPolicy(default, per_publisher), gone_confirm_s=gone_confirm),
        group_id=args.group,
        instance_id=instance_id,
        min_host_delay_s=max(0.0, host_delay),
        per_host=args.per_host,
        max_active=args.max_active,
        max_per_second=args.max_rate,
        robots=not args.no_robots,
        max_age_s=max_age,
    )


def _flag(flag: str, value: str | None, parse: Callable[[str], T], fallback: T) -> T:
    """``parse(value)``, or ``fallback`` (the environment's value) when the flag was not given."""
    if value is None:
        return fallback
    try:
        return parse(value)
    except ValueError as exc:
        raise ConfigError(f"{flag} {value!r}: {exc}") from None


def _run(args: argparse.Namespace) -> int:
    from newsstream.runner import RunnerOptions, run_stage
    from producers.pages.ladder import format_ladder
    from producers.pages.stage import PagesStage

    config = load_config(args)
    settings = build_settings(args, args.instance_id or config.instance_id, PagesConfig.from_env(os.environ))
    port = args.metrics_port if args.metrics_port is not None else PAGES.port(config)
    log.info(
        "pages: ladder %s, %d publisher ladders, host delay %.1f s; metrics on port %d",
        format_ladder(settings.revisit.policy.default), len(settings.revisit.policy.per_publisher),
        settings.min_host_delay_s, port,
    )  # fmt: skip
    options = RunnerOptions(
        group_id=settings.group_id,
        instance_id=settings.instance_id,
        metrics_port=port,
        poll_timeout_ms=int(settings.tick_s * 1000),
    )
    return run_stage(lambda cfg: PagesStage(cfg, settings), config, options)
