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
    parser.add_argument("file", metavar="FILE|-", nargs="?", help="JSON lines file, or - for standard input")
    parser.add_argument(
        "--eval",
        metavar="LABELLED",
        help="instead: measure the notice detector on a labelled JSONL file in the notices-corpus format "
        "(id, label, text, notice, referenced_title): binary and per-type P/R/F1, referenced-title accuracy, "
        "confusion matrix. E.g. newsstream detect --eval ../shared/corpus/notices/en-rare.jsonl --errors",
    )
    parser.add_argument("--errors", action="store_true", help="with --eval: list the misclassified items")
    parser.add_argument(
        "--threshold",
        type=float,
        metavar="P",
        help="least notice score reported (default NEWSSTREAM_NOTICE_THRESHOLD, else the model's own)",
    )
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


def run(
    stream: IO[bytes],
    out: IO[bytes],
    *,
    now: datetime | None = None,
    validate: bool = False,
    threshold: float | None = None,
) -> Counter[str]:
    """Detect over a stream of JSON lines; write events as JSON lines; return counts by type."""
    from consumers.detect import step
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
        events, state, _added = step(previous, article, titles, now=now, threshold=threshold)
        if state is not previous:
            states[article_id] = state
        for event in events:
            if validate:
                import schemas

                schemas.validate("correction-event", event)
            out.write(orjson.dumps(event) + b"\n")
            counts[event["type"]] += 1
    return counts


def _evaluate(path: str, threshold: float | None, errors: bool) -> int:
    from articles.notices import corpus
    from articles.notices.evaluate import evaluate, render

    report = evaluate(corpus.load(path), threshold=threshold)
    print(render(report))
    if errors:
        print("\nmisclassified (label -> predicted, score):")
        for o in report.errors():
            text = " ".join(o.item.text.split())[:160]
            print(f"  {o.item.id}: {o.item.label} -> {o.predicted} ({o.score:.2f})  {text}")
        print("\nreferenced titles missed:")
        for o in report.outcomes:
            gold = o.item.referenced_title
            if o.item.label != "none" and gold and (o.title or "").casefold() != gold.casefold():
                print(f"  {o.item.id}: expected {gold!r}, got {o.title!r}")
    return 0


def _run(args: argparse.Namespace) -> int:
    threshold = args.threshold
    if threshold is None:
        from newsstream.config import Config

        threshold = Config.from_env().notice_threshold
    if args.eval:
        return _evaluate(args.eval, threshold, args.errors)
    if args.file is None:
        print("newsstream detect: give FILE|- (or --eval LABELLED)", file=sys.stderr)
        return 2
    now = None
    if args.now:
        now = datetime.fromisoformat(args.now.replace("Z", "+00:00"))
        if now.tzinfo is None:
            print("newsstream detect: --now needs a time zone (e.g. 2024-01-01T00:00:00Z)", file=sys.stderr)
            return 2
    if args.file == "-":
        counts = run(sys.stdin.buffer, sys.stdout.buffer, now=now, validate=args.validate, threshold=threshold)
    else:
        with open(args.file, "rb") as stream:
            counts = run(stream, sys.stdout.buffer, now=now, validate=args.validate, threshold=threshold)
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
