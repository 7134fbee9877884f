"""``newsstream tail TOPIC``: pretty-print a topic for people (read_committed, no consumer group).

Each message shows where it sits (topic, partition, offset, timestamp, key), its headers
(CloudEvents attributes first), then a readable body: a one-screen summary for correction events,
indented JSON with long strings shortened for other JSON, a bytes preview otherwise. Reads every
partition without joining a group, so it commits nothing and disturbs no stage.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from datetime import UTC, datetime
from typing import Any, TextIO

from newsstream import codec
from newsstream.cli._common import add_kafka_flag, load_config, require_broker
from newsstream.config import Config
from newsstream.errors import ConfigError, DecodeError, NewsstreamError

#: Short names people can type instead of the configured topic names.
ALIASES = ("raw", "normalized", "corrections", "dlq", "detector_state", "titles", "page_schedule")
CE_PREFIX = "ce_"
CE_TYPE_PREFIX = "news.article."
LONG_STRING = 160


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser(
        "tail",
        help="pretty-print a topic's messages for people",
        description="Print the messages of TOPIC as they arrive (read_committed, every partition, no consumer "
        "group). TOPIC is a topic name or one of: " + ", ".join(ALIASES) + " (the configured names).",
        epilog="examples:\n  newsstream tail corrections --from-beginning\n"
        "  newsstream tail news.corrections.v1 --type headline_change --max 5 --timeout 10\n"
        "  newsstream tail dlq --from-beginning --timeout 5\n"
        "  newsstream tail corrections --run last --from-beginning --timeout 5   the last `newsstream run` demo",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    add_kafka_flag(parser)
    parser.add_argument("topic", metavar="TOPIC", help="topic name or alias (corrections, normalized, raw, dlq, ...)")
    parser.add_argument(
        "--from-beginning", action="store_true", help="start at the earliest offset (default: only new messages)"
    )
    parser.add_argument(
        "--type",
        dest="event_type",
        metavar="TYPE",
        help="only messages of this type (ce_type news.article.TYPE, or a 'type' field in the JSON value), "
        "e.g. correction, update, headline_change",
    )
    parser.add_argument(
        "--run",
        metavar="RUN_ID|last",
        help="read the topics (and broker) of a `newsstream run` demo: its run id, or 'last' for the newest "
        "(records in NEWSSTREAM_STATE_DIR/run/)",
    )
    parser.add_argument("--max", type=int, metavar="N", help="stop after printing N messages")
    parser.add_argument(
        "--timeout",
        type=float,
        metavar="S",
        help="stop S seconds after the last printed message, counted from when the topic's end (as of the "
        "start) was reached; exits even when --type filters everything out (default: follow)",
    )
    parser.add_argument(
        "--json",
        action="store_true",
        help="one JSON object per message (topic, partition, offset, timestamp, key, headers, value) for jq",
    )
    parser.set_defaults(handler=_tail)


def resolve_topic(config: Config, name: str) -> str:
    """A configured topic name for an alias (``corrections``), else ``name`` unchanged."""
    alias = name.replace("-", "_")
    if alias in ALIASES:
        return str(getattr(config.topics, alias))
    return name


def run_config(config: Config, run: str, bootstrap_given: bool) -> Config:
    """``config`` with the topics (and, unless --bootstrap-servers was given, the broker) of a demo run."""
    from newsstream.cli import _runs

    records = _runs.read_records(config.state_dir)
    record = (
        (records[-1] if records else None) if run == "last" else next((r for r in records if r.run_id == run), None)
    )
    if record is None:
        known = ", ".join(r.run_id for r in records[-5:]) or "none"
        raise NewsstreamError(
            f"no demo run {run!r} recorded in {config.state_dir / 'run'} (recent runs: {known}); "
            "run from the directory you ran `newsstream run` in, or set NEWSSTREAM_STATE_DIR"
        )
    topics = type(config.topics)(**{**vars(config.topics), **record.topics})
    if bootstrap_given:
        return config.with_overrides(topics=topics)
    kafka = type(config.kafka)(**{**vars(config.kafka), "bootstrap_servers": record.bootstrap_servers})
    return config.with_overrides(topics=topics, kafka=kafka)


def _tail(args: argparse.Namespace) -> int:
    config = load_config(args)
    if args.max is not None and args.max < 1:
        raise NewsstreamError("--max must be at least 1")
    if args.run:
        config = run_config(config, args.run, bool(args.bootstrap_servers))
    if args.event_type:
        check_type(args.event_type)
    require_broker(config)
    topic = resolve_topic(config, args.topic)
    printed = tail(
        config, topic, args.from_beginning, args.event_type, args.max, args.timeout, sys.stdout, as_json=args.json
    )
    print(f"-- {printed} message(s) from {topic}", file=sys.stderr)
    return 0


def tail(
    config: Config,
    topic: str,
    from_beginning: bool,
    event_type: str | None,
    max_messages: int | None,
    idle_timeout: float | None,
    out: TextIO,
    *,
    as_json: bool = False,
) -> int:
    """Print matching messages of ``topic`` to ``out``; return how many were printed."""
    from kafka import TopicPartition

    from newsstream.kafka_clients import make_consumer

    consumer = make_consumer(config.kafka, None, allow_auto_create_topics=False)
    printed = 0
    try:
        partitions = consumer.partitions_for_topic(topic)
        if not partitions:
            raise NewsstreamError(f"topic {topic!r} does not exist (newsstream topics create makes the pipeline's)")
        assignment = [TopicPartition(topic, p) for p in sorted(partitions)]
        consumer.assign(assignment)
        if from_beginning:
            consumer.seek_to_beginning(*assignment)
        else:
            consumer.seek_to_end(*assignment)
        # The idle clock starts once the end offsets of the start are reached, so reading a long topic
        # from the beginning is never cut short, and restarts at every printed message.
        ends = consumer.end_offsets(assignment)
        caught_up = False
        last_message = time.monotonic()
        while True:
            batches = consumer.poll(timeout_ms=500)
            records = sorted(
                (r for rs in batches.values() for r in rs), key=lambda r: (r.timestamp, r.partition, r.offset)
            )
            for record in records:
                if event_type and not matches_type(record.headers, record.value, event_type):
                    continue
                out.write((json_record(record) if as_json else format_record(record)) + "\n")
                out.flush()
                printed += 1
                last_message = time.monotonic()
                if max_messages is not None and printed >= max_messages:
                    return printed
            if not caught_up and all(consumer.position(tp) >= end for tp, end in ends.items()):
                caught_up = True
                last_message = max(last_message, time.monotonic())
            if idle_timeout is not None and caught_up and time.monotonic() - last_message >= idle_timeout:
                return printed
    except KeyboardInterrupt:
        return printed
    finally:
        consumer.close()


def event_types() -> tuple[str, ...]:
    """The CorrectionEvent types, from its JSON Schema (the one list of them)."""
    import schemas

    return tuple(schemas.load("correction-event")["properties"]["type"]["enum"])


def check_type(event_type: str) -> None:
    """ConfigError naming the valid types (and the closest) when ``event_type`` is none of them."""
    import difflib

    wanted = event_type.removeprefix(CE_TYPE_PREFIX)
    known = event_types()
    if wanted in known:
        return
    close = difflib.get_close_matches(wanted, known, n=1)
    hint = f" (did you mean {close[0]}?)" if close else ""
    raise ConfigError(f"--type {event_type!r} is not an event type{hint}; one of: {', '.join(known)}")


def json_record(record: Any) -> str:
    """One message as a JSON object: the value parsed when it is JSON, else as text."""
    value = _json(record.value)
    body: dict[str, Any] = {
        "topic": record.topic,
        "partition": record.partition,
        "offset": record.offset,
        "timestamp": _when(record.timestamp),
        "key": record.key.decode("utf-8", "replace") if record.key is not None else None,
        "headers": dict(_headers(record.headers)),
        "value": value,
    }
    if value is None and record.value is not None:
        body["value_text"] = record.value.decode("utf-8", "replace")
    return json.dumps(body, ensure_ascii=False)


def _headers(raw: Any) -> list[tuple[str, str]]:
    return [(k, (v or b"").decode("utf-8", "replace")) for k, v in (raw or [])]


def _json(value: bytes | None) -> Any:
    if value is None:
        return None
    try:
        return codec.loads(value)
    except DecodeError:
        return None


def matches_type(headers: Any, value: bytes | None, event_type: str) -> bool:
    """True when ce_type is ``news.article.<event_type>`` or the JSON value's ``type`` is ``event_type``."""
    wanted = event_type.removeprefix(CE_TYPE_PREFIX)
    for key, text in _headers(headers):
        if key == "ce_type":
            return text.removeprefix(CE_TYPE_PREFIX) == wanted
    message = _json(value)
    return isinstance(message, dict) and message.get("type") == wanted


def _shorten(value: Any) -> Any:
    if isinstance(value, str) and len(value) > LONG_STRING:
        return value[:LONG_STRING] + f"… (+{len(value) - LONG_STRING} chars)"
    if isinstance(value, list):
        return [_shorten(v) for v in value]
    if isinstance(value, dict):
        return {k: _shorten(v) for k, v in value.items()}
    return value


def _when(timestamp_ms: int) -> str:
    return datetime.fromtimestamp(timestamp_ms / 1000, tz=UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


def format_record(record: Any) -> str:
    """A readable block for one ConsumerRecord."""
    key = record.key.decode("utf-8", "replace") if record.key is not None else "(none)"
    lines = [f"━━ {record.topic}[{record.partition}]@{record.offset}  {_when(record.timestamp)}  key={key}"]
    headers = _headers(record.headers)
    cloudevent = [(k, v) for k, v in headers if k.startswith(CE_PREFIX)]
    others = [(k, v) for k, v in headers if not k.startswith(CE_PREFIX)]
    if cloudevent:
        lines.append("   CloudEvent: " + "  ".join(f"{k[len(CE_PREFIX) :]}={v}" for k, v in cloudevent))
    for k, v in others:
        lines.append(f"   {k}: {v}")
    message = _json(record.value)
    if isinstance(message, dict) and "article_id" in message and "evidence" in message:
        lines.extend(_correction_lines(message))
    elif message is not None:
        body = json.dumps(_shorten(message), indent=2, ensure_ascii=False)
        lines.extend("   " + line for line in body.splitlines())
    elif record.value is None:
        lines.append("   (no value: tombstone)")
    else:
        preview = record.value[:LONG_STRING]
        more = f" … (+{len(record.value) - LONG_STRING} bytes)" if len(record.value) > LONG_STRING else ""
        lines.append(f"   (not JSON, {len(record.value)} bytes) {preview!r}{more}")
    return "\n".join(lines)


def _correction_lines(event: dict[str, Any]) -> list[str]:
    lines = [
        f"   {str(event.get('type', '?')).upper()}  v{event.get('version', '?')}  {event.get('title', '')}",
        f"   url: {event.get('url', '')}",
        f"   article: {event.get('article_id', '')}   detected: {event.get('detected_at', '')}",
    ]
    evidence = event.get("evidence") or {}
    if evidence.get("notice_text"):
        lines.append(f"   notice: {_shorten(evidence['notice_text'])}  (span {evidence.get('span')})")
    else:
        lines.append(f"   evidence: {evidence.get('method', '?')}")
    previous = event.get("previous")
    if previous:
        lines.append(f"   previous: v{previous.get('version')} {previous.get('title', '')!r}")
    diff = event.get("diff")
    if diff:
        lines.append(
            f"   diff: title_changed={diff.get('title_changed')} +{diff.get('words_added')} "
            f"-{diff.get('words_removed')} words"
        )
        for change in diff.get("changed_sentences", [])[:3]:
            # An added sentence has no "before", a removed one no "after": print only the side that exists.
            if change.get("before") is not None:
                lines.append(f"     - {_shorten(change['before'])!r}")
            if change.get("after") is not None:
                lines.append(f"     + {_shorten(change['after'])!r}")
    referenced = event.get("referenced_article")
    if referenced:
        target = referenced.get("article_id") or "unresolved"
        lines.append(f"   refers to: {referenced.get('title', '')!r} -> {target} (score {referenced.get('score')})")
    return lines
