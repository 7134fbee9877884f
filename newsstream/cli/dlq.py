"""``newsstream dlq list|show|replay``: read the dead-letter topic, and replay records after a fix."""

from __future__ import annotations

import argparse
import json
import sys
from datetime import UTC, datetime

from newsstream import dlq
from newsstream.cli._common import add_kafka_flag, load_config, require_broker
from newsstream.errors import ConfigError

EPILOG = """\
examples:
  newsstream dlq list                               dead letters grouped by stage and reason
  newsstream dlq list --records --reason schema     one line per record of one reason
  newsstream dlq show 0:42                          headers and value of partition 0, offset 42
  newsstream dlq replay --reason exception          what would be replayed (a dry run)
  newsstream dlq replay --reason exception --from-offset 40 --to-offset 90 --yes
"""


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser(
        "dlq",
        help="list, show and replay dead letters (news.dlq.v1)",
        description="Read the dead-letter topic (read_committed, no consumer group: it disturbs no stage). "
        "Every record is the input a stage gave up on, with headers saying which stage, why and where from.",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    commands = parser.add_subparsers(dest="dlq_command", metavar="list|show|replay", required=True)

    listing = commands.add_parser("list", help="dead letters grouped by stage and reason", epilog=EPILOG,
                                  formatter_class=argparse.RawDescriptionHelpFormatter)  # fmt: skip
    _selection_flags(listing)
    listing.add_argument("--records", action="store_true", help="one line per record instead of groups")
    listing.add_argument("--json", action="store_true", help="JSON lines instead of a table")
    listing.set_defaults(handler=_list)

    show = commands.add_parser("show", help="one record's headers and value")
    add_kafka_flag(show)
    show.add_argument(
        "where", metavar="PARTITION:OFFSET", help="the record, e.g. 0:42 (as `dlq list --records` prints)"
    )
    show.add_argument("--topic", help="the DLQ topic (default NEWSSTREAM_TOPIC_DLQ)")
    show.add_argument("--raw", action="store_true", help="write the value's bytes to stdout, nothing else")
    show.set_defaults(handler=_show)

    again = commands.add_parser(
        "replay",
        help="send selected records back to their source topic (a dry run unless --yes)",
        description="Send the selected dead letters' key and value back to the topic they came from "
        "(source.topic), with a replayed.from header. Records the DLQ truncated are skipped. Without --yes "
        "nothing is sent: the command prints what it would replay.",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    _selection_flags(again)
    again.add_argument("--yes", action="store_true", help="really send (default: a dry run)")
    again.set_defaults(handler=_replay)


def _selection_flags(parser: argparse.ArgumentParser) -> None:
    add_kafka_flag(parser)
    parser.add_argument("--topic", help="the DLQ topic (default NEWSSTREAM_TOPIC_DLQ)")
    parser.add_argument("--stage", help="only this stage (normalize, detect-corrections, produce, ...)")
    parser.add_argument("--reason", help="only this error.reason (decode, schema, exception, output_too_large, ...)")
    parser.add_argument("--partition", type=int, help="only this DLQ partition")
    parser.add_argument("--from-offset", type=int, metavar="N", help="only DLQ offsets >= N")
    parser.add_argument("--to-offset", type=int, metavar="M", help="only DLQ offsets <= M")


def _selection(args: argparse.Namespace) -> dlq.Selection:
    return dlq.Selection(args.stage, args.reason, args.partition, args.from_offset, args.to_offset)


def _letters(args: argparse.Namespace) -> list[dlq.DeadLetter]:
    config = load_config(args)
    require_broker(config)
    selection = _selection(args)
    return [letter for letter in dlq.read(config, args.topic) if selection.matches(letter)]


def _list(args: argparse.Namespace) -> int:
    letters = _letters(args)
    out = sys.stdout
    if args.records:
        for letter in letters:
            source = f"{letter.source}/{letter.headers.get('source.partition')}/{letter.headers.get('source.offset')}"
            key = (letter.key or b"").decode("utf-8", "replace")
            error = letter.headers.get("error.message", "")[:100]
            row = {"partition": letter.partition, "offset": letter.offset, "stage": letter.stage,
                   "reason": letter.reason, "source": source, "key": key, "error": error}  # fmt: skip
            if args.json:
                out.write(json.dumps(row) + "\n")
            else:
                out.write(
                    f"{letter.partition}:{letter.offset:<8} {letter.stage:<20} {letter.reason:<18} "
                    f"{source:<40} {key[:40]:<40} {error}\n"
                )
        if not args.json:
            out.write(f"{len(letters)} dead letters\n")
        return 0
    groups = dlq.group(letters)
    for g in groups:
        if args.json:
            row = {"stage": g.stage, "reason": g.reason, "count": g.count, "first": g.first, "last": g.last,
                   "sources": sorted(g.sources), "example": g.example}  # fmt: skip
            out.write(json.dumps(row) + "\n")
        else:
            first = f"{g.first[0]}:{g.first[1]}" if g.first else "-"
            last = f"{g.last[0]}:{g.last[1]}" if g.last else "-"
            out.write(
                f"{g.count:>7}  {g.stage:<20} {g.reason:<18} {first:>10} .. {last:<10} "
                f"{','.join(sorted(g.sources))}  {g.example}\n"
            )
    if not args.json:
        out.write(f"{len(letters)} dead letters in {len(groups)} groups (stage, reason)\n")
    return 0


def _show(args: argparse.Namespace) -> int:
    try:
        partition_text, offset_text = args.where.split(":")
        partition, offset = int(partition_text), int(offset_text)
    except ValueError:
        raise ConfigError(f"{args.where!r}: expected PARTITION:OFFSET, e.g. 0:42") from None
    config = load_config(args)
    require_broker(config)
    selection = dlq.Selection(partition=partition, from_offset=offset, to_offset=offset)
    found = next((letter for letter in dlq.read(config, args.topic) if selection.matches(letter)), None)
    if found is None:
        print(f"no dead letter at {partition}:{offset}", file=sys.stderr)
        return 1
    if args.raw:
        sys.stdout.buffer.write(found.value or b"")
        return 0
    when = datetime.fromtimestamp(found.timestamp_ms / 1000, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    print(f"partition {found.partition} offset {found.offset} at {when}")
    print(f"key: {(found.key or b'').decode('utf-8', 'replace')}")
    for name, value in found.headers.items():
        if name == "error.traceback":
            print(f"{name}:\n  " + value.rstrip().replace("\n", "\n  "))
        else:
            print(f"{name}: {value}")
    body = found.value or b""
    print(f"value ({len(body)} bytes):")
    try:
        print(json.dumps(json.loads(body), indent=2, ensure_ascii=False)[:20_000])
    except ValueError:
        print(repr(body[:2000]))
    return 0


def _replay(args: argparse.Namespace) -> int:
    config = load_config(args)
    letters = _letters(args)
    report = dlq.replay(config, letters, args.topic, dry_run=not args.yes)
    verb = "replayed" if args.yes else "would replay"
    for topic, count in sorted(report.sent.items()):
        print(f"{verb} {count} records to {topic}")
    for letter in report.skipped_truncated:
        print(f"skipped {letter.partition}:{letter.offset}: truncated in the DLQ (not the original bytes)")
    for letter in report.skipped_no_source:
        print(f"skipped {letter.partition}:{letter.offset}: no source.topic header")
    if not report.sent:
        print("nothing to replay")
    elif not args.yes:
        print("dry run: add --yes to send")
    return 0
