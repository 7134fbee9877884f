"""``newsstream web``: the archive's web page, JSON API and Atom feeds on one port."""

from __future__ import annotations

import argparse

from newsstream.cli._common import load_config

DESCRIPTION = """\
Serve the archive written by `newsstream archive` (the same NEWSSTREAM_ARCHIVE_DSN, or SQLite in
NEWSSTREAM_STATE_DIR): the latest correction events with filters and live arrival, article pages
with version timeline, word-level diffs and highlighted notices, search, CSV/JSON Lines export, an
Atom feed of corrections per filter, and /api/… JSON (docs/archive.md). Read-only; also /metrics,
/healthz, /readyz. Listens on NEWSSTREAM_WEB_HOST:NEWSSTREAM_WEB_PORT (127.0.0.1:8080).
"""

EPILOG = """\
examples:
  newsstream web                          http://127.0.0.1:8080/
  newsstream web --port 8090
  curl 'http://127.0.0.1:8080/feeds/corrections.atom?publisher=Zagros+Ledger'
"""


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser(
        "web", help="the archive's web page, JSON API and Atom feed of corrections",
        description=DESCRIPTION, epilog=EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter,
    )  # fmt: skip
    parser.add_argument("--host", help="address to listen on (overrides NEWSSTREAM_WEB_HOST, default 127.0.0.1)")
    parser.add_argument("--port", type=int, help="port (overrides NEWSSTREAM_WEB_PORT, default 8080)")
    parser.set_defaults(handler=_run)


def _run(args: argparse.Namespace) -> int:
    from consumers.archive.store import open_store
    from web.app import run_web

    config = load_config(args)
    store = open_store(config.archive_dsn, config.state_dir)
    store.migrate()  # an empty archive shows an empty page instead of failing before the first write
    port = config.web_port if args.port is None else args.port
    return run_web(store, args.host or config.web_host, port)
