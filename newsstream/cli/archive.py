"""``newsstream archive``: the archive stage (news.normalized.v1 + news.corrections.v1 into a database)."""

from __future__ import annotations

import argparse

from consumers.specs import ARCHIVE
from newsstream.cli._common import add_kafka_flag, load_config

DESCRIPTION = """\
Consume news.normalized.v1 and news.corrections.v1 (read_committed) and write every article, version
and correction event to the archive: SQLite in NEWSSTREAM_STATE_DIR/archive.sqlite3 by default (WAL,
FTS5), or PostgreSQL when NEWSSTREAM_ARCHIVE_DSN=postgresql://user:pass@host/db (migrations are
applied at start). Offsets are stored in the database with each batch's rows, so the archive is
exactly-once across crashes; `newsstream web` serves it.
"""

EPILOG = """\
examples:
  newsstream archive
  NEWSSTREAM_ARCHIVE_DSN=postgresql://newsstream:secret@127.0.0.1/newsstream newsstream archive
metrics and health: http://HOST:9106/metrics, /healthz, /readyz (NEWSSTREAM_METRICS_PORT overrides)
"""


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser(
        ARCHIVE.name, help=ARCHIVE.summary,
        description=DESCRIPTION, epilog=EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter,
    )  # fmt: skip
    add_kafka_flag(parser)
    parser.add_argument("--group", default=ARCHIVE.group_id, help=f"consumer group id ({ARCHIVE.group_id})")
    parser.add_argument("--max-batch", type=int, default=500, help="records per database transaction (500)")
    parser.add_argument(
        "--metrics-port",
        type=int,
        metavar="PORT",
        help=f"metrics/health port (overrides NEWSSTREAM_METRICS_PORT, default {ARCHIVE.default_port}; 0 = any free)",
    )
    parser.set_defaults(handler=_run)


def _run(args: argparse.Namespace) -> int:
    from consumers.archive.stage import ArchiveOptions, run_archive

    config = load_config(args)
    if args.metrics_port is not None:
        config = config.with_overrides(metrics_port=args.metrics_port)
    options = ArchiveOptions(group_id=args.group, max_batch=args.max_batch, metrics_port=ARCHIVE.port(config))
    return run_archive(config, options)
