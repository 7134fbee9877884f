"""``newsstream detect FILE|-``: correction detection offline, on NormalizedArticle JSON lines.

For backfills and analysis; no Kafka. Articles are processed in input order with an in-memory state
per article id and one title index, in the same order as the ``detect-corrections`` stage (see
:mod:`consumers.detect`), so both give the same events (same ``event_id``) for the same input.
"""

from __future__ import annotations

import argparse
import sys
from collections import Counter
from collections.abc import Iterator
from datetime import datetime
from typing import IO, Any

import orjson

from newsstream import exit_codes


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "detect",
        help="detect corrections in NormalizedArticle JSON lines (offline, no Kafka)",
        description="Read NormalizedArticle JSON lines in order (only id, title and body_text are required; "
        "missing fields default), run the correction detector with in-memory state and title index, and "
        "print CorrectionEvent JSON lines. The same events (same event_id) as the detect-corrections stage. "
        "Exit status: 0 every line processed, 3 some lines skipped, 4 nothing processed (every line skipped, "
        "or no input), 2 bad usage.",
    )
    parser.add_argument("file", metavar="FILE|-", help="JSON lines file, or - for standard input")
    parser.add_argument("--summary", action="store_true", help="print counts by event type to stderr")
    parser.add_argument(
        "--now",
        metavar="ISO8601",
        help="fixed detected_at for every event (reproducible output); default: the clock",
    )
    parser.add_argument("--validate", action="store_true", help="validate every event against its JSON Schema")
    parser.set_defaults(handler=_run)


def _lines(stream: IO[bytes]) -> Iterator[tuple[int, bytes]]:
    for number, line in enumerate(stream, 1):
        if line.strip():
            yield number, line


def _article(raw: Any) -> dict[str, Any]:
    if not isinstance(raw, dict):
        raise ValueError("not a JSON object")
    # RawArticle-like or article-versions corpus records carry article_id instead of id
    if "id" not in raw and "article_id" in raw:
        raw = {**raw, "id": raw["article_id"]}
    if not raw.get("id"):
        raise ValueError("missing id")
    return raw


def run(stream: IO[bytes], out: IO[bytes], *, now: datetime | None = None, validate: bool = False) -> Counter[str]:
    """Detect over a stream of JSON lines; write events as JSON lines; return counts by type."""
    from consumers.detect import detect, index_article
    from consumers.detector_state import ArticleState
    from consumers.title_index import TitleIndex

    states: dict[str, ArticleState] = {}
    titles = TitleIndex()
    counts: Counter[str] = Counter()
    for number, line in _lines(stream):
        try:
            article = _article(orjson.loads(line))
        except (orjson.JSONDecodeError, ValueError) as exc:
            print(f"newsstream detect: line {number} skipped: {exc}", file=sys.stderr)
            counts["_skipped"] += 1
            continue
        counts["_articles"] += 1
        article_id = str(article["id"])
        previous = states.get(article_id)
        events, state = detect(previous, article, titles=titles, now=now)
        if state is not previous:
            states[article_id] = state
            index_article(titles, article)
        for event in events:
            if validate:
                import schemas

                schemas.validate("correction-event", event)
            out.write(orjson.dumps(event) + b"\n")
            counts[event["type"]] += 1
    return counts


def _run(args: argparse.Namespace) -> int:
    now = None
    if args.now:
        now = datetime.fromisoformat(args.now.replace("Z", "+00:00"))
        if now.tzinfo is None:
            print("newsstream detect: --now needs a time zone (e.g. 2024-01-01T00:00:00Z)", file=sys.stderr)
            return 2
    if args.file == "-":
        counts = run(sys.stdin.buffer, sys.stdout.buffer, now=now, validate=args.validate)
    else:
        with open(args.file, "rb") as stream:
            counts = run(stream, sys.stdout.buffer, now=now, validate=args.validate)
    sys.stdout.flush()
    articles, skipped = counts.pop("_articles", 0), counts.pop("_skipped", 0)
    if args.summary:
        total = sum(counts.values())
        print(f"articles: {articles}  skipped: {skipped}  events: {total}", file=sys.stderr)
        for kind, n in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0])):
            print(f"  {kind:16} {n}", file=sys.stderr)
    code = exit_codes.for_counts(articles, skipped)
    if code == exit_codes.NOTHING_PROCESSED:
        print(f"newsstream detect: nothing processed ({skipped} lines skipped, 0 articles)", file=sys.stderr)
    elif code == exit_codes.PARTIAL:
        print(f"newsstream detect: {skipped} of {articles + skipped} lines skipped", file=sys.stderr)
    return code
