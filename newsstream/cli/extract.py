"""``newsstream extract FILE|URL``: the pages producer's extraction on one page, no Kafka."""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from newsstream import exit_codes
from newsstream.cli._common import load_config
from newsstream.errors import ConfigError

DESCRIPTION = """\
Read (file) or fetch (http/https URL, with the producer's fetcher: its size and time limits, its
User-Agent, and the SSRF guard unless NEWSSTREAM_ALLOW_PRIVATE_ADDRESSES=1) one article page, run
the extraction the pages producer uses (articles.extract: trafilatura plus JSON-LD, notices outside
the main text put back), and print the headline, the body text and the editorial notices found in
it. With --json: one JSON object with url, title, body_text, notices (kind, text, start, end,
score), published_at, updated_at, authors, language, json_ld_correction and rescued (the notices
taken from outside the main text). Exit status: 0 text found, 4 no main text (or the fetch
failed), 2 bad usage.
"""

EPILOG = """\
examples:
  newsstream extract saved-page.html
  newsstream extract saved-page.html --url https://www.rudaw.net/english/middleeast/syria/05112023
  newsstream extract https://example.org/news/story --json | jq .notices
"""


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser(
        "extract",
        help="extract one article page (file or URL) as the pages producer does, and show its notices",
        description=DESCRIPTION,
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("source", metavar="FILE|URL", help="a saved HTML page or an http(s) URL")
    parser.add_argument("--url", help="the page's URL (for a file: resolves relative links, feeds metadata)")
    parser.add_argument("--json", action="store_true", help="print one JSON object instead of text")
    parser.set_defaults(handler=_run)


def utc(raw: str | None) -> str | None:
    """An ISO 8601 date or time as UTC ``...Z`` (zone-less taken as UTC), or None when unreadable."""
    if not raw:
        return None
    try:
        moment = datetime.fromisoformat(raw.strip().replace("Z", "+00:00"))
    except ValueError:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    try:
        return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    except OverflowError:
        return None


def extract_result(body: bytes | str, url: str) -> dict[str, Any] | None:
    """What the extractor finds on one page, as a JSON-ready dict; None when no main text."""
    from articles.extract import extract
    from articles.notices import find_notices

    content = extract(body, url)
    if content is None:
        return None
    title = content.title or ""
    body_text = "\n\n".join(content.paragraphs)
    notices = [
        {"kind": n.kind, "text": n.text, "start": n.start, "end": n.end, "score": round(float(n.score), 3),
         "field": getattr(n, "field", "body_text")}
        for n in find_notices(title, body_text)
    ]  # fmt: skip
    return {
        "url": url,
        "title": content.title,
        "body_text": body_text,
        "notices": notices,
        "published_at": utc(content.date_published),
        "updated_at": utc(content.date_modified),
        "authors": list(content.authors),
        "language": content.language,
        "json_ld_correction": list(content.corrections),
        "rescued": list(content.rescued),
    }


async def _fetch(url: str, config: Any) -> tuple[bytes, str]:
    from producers.fetch import Fetcher, FetchSettings

    async with Fetcher(FetchSettings.from_config(config)) as fetcher:
        fetched = await fetcher.fetch(url)
    if fetched.outcome != "ok":
        raise _FetchFailed(f"{url}: {fetched.outcome} {fetched.error or ''}".strip())
    return fetched.body or b"", fetched.final_url or url


class _FetchFailed(Exception):
    pass


def _text(result: dict[str, Any]) -> str:
    lines = [f"title: {result['title']}"]
    for key in ("published_at", "updated_at", "language"):
        if result[key]:
            lines.append(f"{key}: {result[key]}")
    if result["authors"]:
        lines.append("authors: " + ", ".join(result["authors"]))
    lines += ["", result["body_text"], ""]
    lines.append(f"notices: {len(result['notices'])}")
    for n in result["notices"]:
        lines.append(f"  {n['kind']} [{n['start']}, {n['end']}] score {n['score']:.2f}: {n['text']}")
    for text in result["json_ld_correction"]:
        lines.append(f"  JSON-LD correction: {text}")
    return "\n".join(lines)


def _run(args: argparse.Namespace) -> int:
    source: str = args.source
    if source.startswith(("http://", "https://")):
        try:
            body, url = asyncio.run(_fetch(source, load_config(args)))
        except _FetchFailed as exc:
            print(f"extract: {exc}", file=sys.stderr)
            return exit_codes.NOTHING_PROCESSED
        url = args.url or url
    else:
        path = Path(source)
        if not path.is_file():
            raise ConfigError(f"{source}: no such file (and not an http(s) URL)")
        body, url = path.read_bytes(), args.url or path.resolve().as_uri()
    result = extract_result(body, url)
    if result is None:
        print(f"extract: {source}: no main text found", file=sys.stderr)
        return exit_codes.NOTHING_PROCESSED
    try:
        print(json.dumps(result, ensure_ascii=False) if args.json else _text(result))
    except BrokenPipeError:  # `extract ... | head`
        sys.stdout = None
    return exit_codes.OK
