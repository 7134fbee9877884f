"""``newsstream preview URL|FILE``: parse one feed and print RawArticles as JSON lines, no Kafka."""

from __future__ import annotations

import argparse
import asyncio
import sys
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

from newsstream import codec, exit_codes
from newsstream.cli._common import load_config
from newsstream.errors import ConfigError

DESCRIPTION = """\
Fetch (http/https URL) or read (file) one feed, parse it exactly as the producer does, and print
each entry as a RawArticle JSON line on stdout; a one-line summary goes to stderr. Nothing is sent
to Kafka and no state is kept. URLs go through the SSRF guard unless
NEWSSTREAM_ALLOW_PRIVATE_ADDRESSES=1. An entry that cannot be mapped (or, with --normalize,
normalized) is skipped and counted, never the rest of the feed. Exit status: 0 every entry printed,
3 some entries skipped, 4 nothing usable (the document did not parse), 2 bad usage.
"""

EPILOG = """\
examples:
  newsstream preview https://feeds.bbci.co.uk/news/world/rss.xml
  newsstream preview saved-feed.xml | jq -r .entry.title
  newsstream preview feed.json --type jsonfeed
  newsstream preview feed.xml --normalize          NormalizedArticles instead of RawArticles
"""


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser(
        "preview",
        help="parse one feed (URL or file) and print RawArticles as JSON lines, no Kafka",
        description=DESCRIPTION,
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("source", metavar="URL|FILE", help="an http(s) URL or a local file")
    parser.add_argument("--type", default="auto", help="producer type (rss, jsonfeed, ...); default: guess")
    parser.add_argument("--name", help="feed name written in the articles (default: the source)")
    parser.add_argument("--publisher", help="publisher written in the articles")
    parser.add_argument("--normalize", action="store_true", help="print NormalizedArticles (runs normalize())")
    parser.set_defaults(handler=_run)


@dataclass
class Preview:
    """The outcome of previewing one document."""

    source: str
    type: str
    outcome: str
    articles: list[dict[str, Any]] = field(default_factory=list)
    format: str = ""
    bozo: str | None = None
    error: str | None = None
    entries_skipped: int = 0
    entries_bad: int = 0
    notes: list[str] = field(default_factory=list)

    def summary(self) -> str:
        parts = [f"preview: {self.source}: {self.outcome}", f"type={self.type}"]
        if self.format:
            parts.append(f"format={self.format}")
        parts.append(f"articles={len(self.articles)}")
        if self.entries_skipped:
            parts.append(f"skipped={self.entries_skipped} (no link or guid)")
        if self.entries_bad:
            parts.append(f"bad={self.entries_bad}")
        if self.bozo:
            parts.append(f"bozo={self.bozo[:160]!r}")
        if self.error and self.error != self.bozo:
            parts.append(f"error={self.error[:400]!r}")
        return " ".join(parts)


def guess_type(body: bytes) -> str:
    """``jsonfeed`` for a JSON document, else ``rss``."""
    head = body[:512].lstrip(b"\xef\xbb\xbf \t\r\n")
    return "jsonfeed" if head.startswith((b"{", b"[")) else "rss"


@cache
def _registry() -> Any:
    from producers.base import Registry

    return Registry()


def _feed_config(url: str, type_name: str, name: str | None, publisher: str | None) -> Any:
    from producers.feeds import FeedConfig

    return FeedConfig(
        url=url, name=name or url.rstrip("/").rsplit("/", 1)[-1] or url, publisher=publisher, type=type_name
    )


def preview_bytes(
    body: bytes,
    source: str,
    *,
    type_name: str = "auto",
    name: str | None = None,
    publisher: str | None = None,
    headers: dict[str, str] | None = None,
) -> Preview:
    """Parse one document through the registry's producer for ``type_name`` (guessed by default)."""
    from datetime import UTC, datetime

    from producers.base import HttpProducer

    kind = guess_type(body) if type_name == "auto" else type_name
    producer = _registry().get(kind)
    if not isinstance(producer, HttpProducer):
        raise ConfigError(f"producer type {kind!r} does not parse documents; preview it by URL")
    url = source if source.startswith(("http://", "https://")) else Path(source).resolve().as_uri()
    parsed = producer.parse(
        body,
        url=url,
        headers=headers or {},
        feed=_feed_config(url, kind, name, publisher),
        fetched_at=datetime.now(UTC),
        http={"status": None, "final_url": url, "etag": None, "last_modified": None},
    )
    return Preview(
        source=source,
        type=kind,
        outcome=parsed.outcome,
        articles=parsed.articles,
        format=parsed.format,
        bozo=parsed.bozo,
        error=parsed.bozo if parsed.outcome != "ok" else None,
        entries_skipped=parsed.entries_skipped,
        entries_bad=parsed.entries_bad,
        notes=list(parsed.notes),
    )


async def preview_url(url: str, *, type_name: str, name: str | None, publisher: str | None, config: Any) -> Preview:
    """Fetch ``url`` with the producer's Fetcher (SSRF guard per config) and parse it."""
    from producers.base import Registry
    from producers.fetch import Fetcher, FetchSettings
    from producers.state import FeedState

    settings = FetchSettings.from_config(config)
    async with Fetcher(settings) as fetcher:
        if type_name != "auto":
            result = (
                await Registry()
                .get(type_name)
                .poll(_feed_config(url, type_name, name, publisher), fetcher, FeedState(url=url))
            )
            return Preview(
                source=url, type=type_name, outcome=result.outcome, articles=result.articles, bozo=result.bozo,
                error=result.error, entries_skipped=result.entries_skipped, entries_bad=result.entries_bad,
                notes=list(result.notes),
            )  # fmt: skip
        fetched = await fetcher.fetch(url)
    if fetched.outcome != "ok":
        return Preview(source=url, type=type_name, outcome=fetched.outcome, error=fetched.error)
    preview = preview_bytes(
        fetched.body or b"", url, type_name="auto", name=name, publisher=publisher, headers=fetched.headers
    )
    for article in preview.articles:
        article["http"] = {
            "status": fetched.status,
            "final_url": fetched.final_url,
            "etag": fetched.etag,
            "last_modified": fetched.last_modified,
        }
    return preview


def _run(args: argparse.Namespace) -> int:
    config = load_config(args)
    source: str = args.source
    if source.startswith(("http://", "https://")):
        preview = asyncio.run(
            preview_url(source, type_name=args.type, name=args.name, publisher=args.publisher, config=config)
        )
    else:
        path = Path(source)
        if not path.is_file():
            raise ConfigError(f"{source}: no such file (and not an http(s) URL)")
        preview = preview_bytes(
            path.read_bytes(), source, type_name=args.type, name=args.name, publisher=args.publisher
        )
    articles = preview.articles
    if args.normalize:
        try:
            from consumers.normalize import normalize  # the CLI may know every stage
        except ImportError as exc:
            raise ConfigError(f"--normalize needs consumers.normalize.normalize: {exc}") from None
        articles = _normalize_each(normalize, articles, preview)
    out = sys.stdout.buffer
    try:
        for article in articles:
            out.write(codec.dumps(article) + b"\n")
        out.flush()
    except BrokenPipeError:  # `preview ... | head`: the reader has what it wanted
        sys.stdout = None  # no second error when Python flushes at exit
    for note in preview.notes:
        print(f"note: {note}", file=sys.stderr)
    print(preview.summary(), file=sys.stderr)
    if preview.outcome != "ok":
        return exit_codes.NOTHING_PROCESSED
    return exit_codes.for_counts(len(articles) or 1, preview.entries_skipped + preview.entries_bad)


def _normalize_each(normalize: Any, articles: list[dict[str, Any]], preview: Preview) -> list[dict[str, Any]]:
    """NormalizedArticles of the entries normalize() accepts; each rejected one is counted and named."""
    out = []
    for number, article in enumerate(articles, 1):
        try:
            out.append(normalize(article))
        except Exception as exc:  # noqa: BLE001 - the stage dead-letters such an entry; skip it here
            preview.entries_bad += 1
            entry = article.get("entry") or {}
            where = entry.get("link") or entry.get("guid") or f"entry {number}"
            preview.notes.append(f"entry {number} ({where}) not normalized: {type(exc).__name__}: {exc}")
    return out
