"""``newsstream feeds check|import-opml|status``: the feed list and what the producer knows of it."""

from __future__ import annotations

import argparse
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from newsstream import codec
from newsstream.cli import _feeds_add
from newsstream.cli._common import load_config
from newsstream.errors import ConfigError

EPILOG = """\
examples:
  newsstream feeds check                             validate feeds.toml (or NEWSSTREAM_FEEDS)
  newsstream feeds check --feeds my-feeds.toml
  newsstream feeds import-opml subscriptions.opml    append the OPML's feeds to feeds.toml
  newsstream feeds import-opml export.opml --output new.toml --dry-run
  newsstream feeds status                            per-feed state, last error, next poll
  newsstream feeds status --json | jq 'select(.state != "ok")'
  newsstream feeds status --events                   also each feed's correction events by type
  newsstream feeds add https://www.example.org/      find the feeds a page links to, add them
  newsstream feeds export-opml > subscriptions.opml  the feed list for a feed reader
"""


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    feeds = subparsers.add_parser(
        "feeds",
        help="the feed list: check it, add a site's feeds, import/export OPML, show per-feed state",
        description="Manage the feed list (feeds.toml, or NEWSSTREAM_FEEDS) and inspect the producer's state.",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    sub = feeds.add_subparsers(dest="feeds_command", metavar="ACTION")
    check = sub.add_parser(
        "check",
        help="validate the feed list; an error names the file, the feed and the field",
        description="Validate every feed (URL, name, interval, tags, headers, type against the installed "
        "producers). Exit 0 when valid, 2 with the first error otherwise.",
    )
    check.add_argument("--feeds", type=Path, metavar="FILE", help="feed list (default NEWSSTREAM_FEEDS, feeds.toml)")
    check.set_defaults(handler=_check)

    imp = sub.add_parser(
        "import-opml",
        help="turn an OPML export into feeds.toml entries",
        description="Every <outline xmlUrl=...> becomes a [[feeds]] entry (name from title/text, tags from "
        "the enclosing folders). Feeds whose URL is already in the output file are skipped.",
    )
    imp.add_argument("opml", type=Path, metavar="FILE", help="the OPML file")
    imp.add_argument("--output", type=Path, metavar="FILE", help="feeds file to append to (default: the feed list)")
    imp.add_argument("--dry-run", action="store_true", help="print the entries instead of writing them")
    imp.set_defaults(handler=_import_opml)

    status = sub.add_parser(
        "status",
        help="per-feed state, last outcome and error, next poll (from the state store)",
        description="Read NEWSSTREAM_STATE_DIR/producer-state.sqlite3 (safe while the producer runs) and show "
        "every feed of the list: ok, backoff, disabled or never polled; its articles (ids remembered), versions "
        "emitted, bad entries skipped, and the last error or note (e.g. which `type` to set). --json times are "
        "UTC ISO 8601.",
    )
    status.add_argument("--feeds", type=Path, metavar="FILE", help="feed list (default NEWSSTREAM_FEEDS, feeds.toml)")
    status.add_argument("--json", action="store_true", help="one JSON object per feed")
    status.add_argument(
        "--events",
        action="store_true",
        help="also count each feed's correction events (reads the corrections topic once, to its end; "
        "needs the broker: KAFKA_BOOTSTRAP_SERVERS)",
    )
    status.set_defaults(handler=_status)
    _feeds_add.register(sub)


def _feeds_file(args: argparse.Namespace, config: Any) -> Path:
    return Path(args.feeds) if getattr(args, "feeds", None) else Path(config.feeds_file)


def _check(args: argparse.Namespace) -> int:
    from producers.base import Registry
    from producers.feeds import load_feeds

    config = load_config(args)
    path = _feeds_file(args, config)
    feeds = load_feeds(path, Registry().names())
    enabled = [f for f in feeds if f.enabled]
    types: dict[str, int] = {}
    for feed in enabled:
        types[feed.type] = types.get(feed.type, 0) + 1
    by_type = ", ".join(f"{k}={v}" for k, v in sorted(types.items())) or "none"
    print(f"{path}: OK, {len(feeds)} feeds ({len(enabled)} enabled; {by_type})")
    return 0


def _import_opml(args: argparse.Namespace) -> int:
    from producers.feeds import feed_to_toml, load_feeds, parse_opml

    config = load_config(args)
    output = Path(args.output) if args.output else Path(config.feeds_file)
    try:
        data = Path(args.opml).read_bytes()
    except OSError as exc:
        raise ConfigError(f"{args.opml}: cannot read: {exc.strerror}") from None
    imported = parse_opml(data, str(args.opml))
    existing = {f.url for f in load_feeds(output)} if output.exists() else set()
    new = [f for f in imported.feeds if f.url not in existing]
    skipped = imported.skipped + [f"{f.name}: already in {output}" for f in imported.feeds if f.url in existing]
    text = "\n".join(feed_to_toml(f) for f in new)
    if args.dry_run:
        sys.stdout.write(text)
    elif new:
        append_feeds(output, text, f"imported from {Path(args.opml).name}")
    for reason in skipped:
        print(f"skipped: {reason}", file=sys.stderr)
    verb = "would add" if args.dry_run else "added"
    print(f"{verb} {len(new)} feeds to {output}; skipped {len(skipped)}", file=sys.stderr)
    return 0


def append_feeds(output: Path, text: str, comment: str) -> None:
    """Append ``[[feeds]]`` tables to ``output`` atomically, refusing a result the producer cannot read."""
    from producers.feeds import load_feeds

    previous = output.read_text(encoding="utf-8") if output.exists() else ""
    if previous and not previous.endswith("\n"):
        previous += "\n"
    header = "" if previous else "# Feed list for `newsstream produce` (see `newsstream feeds check --help`).\n"
    candidate = previous + header + f"\n# {comment}\n" + text
    tmp = output.with_name(output.name + ".tmp")
    tmp.write_text(candidate, encoding="utf-8")
    try:
        load_feeds(tmp)  # never leave a feed list the producer cannot read
    except ConfigError:
        tmp.unlink()
        raise
    tmp.replace(output)  # one rename: a producer watching the file never sees half of it


def _ago(when: float | None, now: float) -> str:
    if when is None:
        return "-"
    delta = when - now
    sign = "in " if delta >= 0 else ""
    delta = abs(delta)
    if delta < 120:
        text = f"{delta:.0f}s"
    elif delta < 7200:
        text = f"{delta / 60:.0f}m"
    elif delta < 172800:
        text = f"{delta / 3600:.1f}h"
    else:
        text = f"{delta / 86400:.1f}d"
    return sign + text + ("" if sign else " ago")


def _iso(when: float | None) -> str | None:
    """A Unix time as UTC ISO 8601 with ``Z`` (the project's time format), to the second."""
    if when is None:
        return None
    return datetime.fromtimestamp(when, tz=UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _status(args: argparse.Namespace) -> int:
    from producers.feeds import load_feeds
    from producers.state import STATE_FILE, StateStore

    config = load_config(args)
    feeds = load_feeds(_feeds_file(args, config))
    db = Path(config.state_dir) / STATE_FILE
    states = {}
    stats: dict[str, dict[str, Any]] = {}
    article_feeds: dict[str, str] = {}
    if db.exists():
        with StateStore(config.state_dir) as store:
            states = store.all_feeds()
            stats = store.all_stats()
            article_feeds = store.article_feeds() if args.events else {}
    events: dict[str, Any] = {}
    if args.events:
        from newsstream.cli._common import require_broker
        from newsstream.cli._feed_events import events_per_feed

        require_broker(config)
        events = events_per_feed(config, article_feeds)
    now = time.time()
    rows: list[dict[str, Any]] = []
    for feed in feeds:
        state = states.get(feed.url)
        if not feed.enabled:
            label = "off"
        elif state is None:
            label = "new"
        elif state.disabled:
            label = "disabled"
        elif state.consecutive_errors:
            label = "backoff"
        else:
            label = "ok"
        numbers = stats.get(feed.url, {})
        rows.append(
            {
                "url": feed.url,
                "name": feed.name,
                "type": feed.type,
                "state": label,
                "current_url": state.current_url if state else None,
                "last_outcome": state.last_outcome if state else None,
                "last_status": state.last_status if state else None,
                "consecutive_errors": state.consecutive_errors if state else 0,
                "last_success_at": state.last_success_at if state else None,
                "next_due_at": state.next_due_at if state else None,
                "last_error": state.last_error if state else None,
                "polls": numbers.get("polls", 0),
                "articles": numbers.get("articles", 0),
                "versions_emitted": numbers.get("versions_emitted", 0),
                "bad_entries": numbers.get("bad_entries", 0),
                "note": numbers.get("last_note"),
            }
        )
        if args.events:
            rows[-1]["events"] = dict(sorted(events.get(feed.url, {}).items()))
    if args.json:
        for row in rows:
            iso = {k: _iso(row[k]) for k in ("last_success_at", "next_due_at")}
            sys.stdout.buffer.write(codec.dumps({**row, **iso}) + b"\n")
        return 0
    print(
        f"{'STATE':9} {'OUTCOME':13} {'LAST OK':10} {'NEXT':10} {'ARTICLES':>8} {'VERSIONS':>8} {'BAD':>4} "
        f"{'FEED':32} LAST ERROR / NOTE"
    )
    for row in rows:
        print(
            f"{row['state']:9} {row['last_outcome'] or '-':13} {_ago(row['last_success_at'], now):10} "
            f"{_ago(row['next_due_at'], now) if row['state'] != 'disabled' else 'never':10} "
            f"{row['articles']:>8} {row['versions_emitted']:>8} {row['bad_entries']:>4} "
            f"{row['name'][:32]:32} {(row['last_error'] or row['note'] or '')[:100]}"
        )
        if args.events:
            kinds = ", ".join(f"{k} {v}" for k, v in row["events"].items()) or "none"
            print(f"{'':9} events: {sum(row['events'].values())} ({kinds})")
    counts: dict[str, int] = {}
    for row in rows:
        counts[row["state"]] = counts.get(row["state"], 0) + 1
    print(f"{len(rows)} feeds: " + ", ".join(f"{v} {k}" for k, v in sorted(counts.items())) + f" (state: {db})")
    return 0
