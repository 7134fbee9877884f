"""Every entry of the shared corpora normalizes to a schema-valid NormalizedArticle.

real-feeds and feedparser-tests go through the producers' parsers (as in production); each record
of article-versions/versions.jsonl is wrapped as a RawArticle. A TransformError is accepted only
for an entry that has no text at all (no title, summary or content with words in it): the stage
sends those to the DLQ by design.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import orjson
import pytest

import schemas
from consumers import html_text
from consumers.normalize import normalize
from newsstream.errors import TransformError
from tests.conftest import CORPUS, corpus_path

pytestmark = pytest.mark.corpus

FETCHED = datetime(2024, 5, 1, 12, 0, tzinfo=UTC)
TAG = re.compile(r"</?[A-Za-z][A-Za-z0-9]*(?:\s[^<>]*)?/?>")
UTC_TIME = "%Y-%m-%dT%H:%M:%SZ"


def has_text(entry: dict[str, Any]) -> bool:
    values = [entry.get("title") or "", entry.get("summary") or ""]
    values += [c.get("value") or "" for c in entry.get("content") or ()]
    return any(re.search(r"\w", html_text.inline_text(v)) for v in values if v)


def written_as_text(entry: dict[str, Any], tag: str) -> bool:
    """True when the source wrote this tag-like text as text: escaped in HTML (``&lt;T&gt;``, also
    code samples with markup inside the escape, ``&lt;<b>T</b>&gt;``) or literally in a plain-text
    value."""
    name = re.match(r"</?([A-Za-z][A-Za-z0-9]*)", tag)
    assert name is not None
    escaped = re.compile(r"&(?:amp;)?(?:lt|#0?60|#x3c);(?:<[^>]*>)*/?(?:<[^>]*>)*" + re.escape(name.group(1)), re.I)
    values = [entry.get("title") or "", entry.get("summary") or ""]
    plain = [c.get("value") or "" for c in entry.get("content") or () if "html" not in (c.get("type") or "")]
    values += [c.get("value") or "" for c in entry.get("content") or ()]
    return any(escaped.search(v) for v in values) or any(tag in v for v in plain + values[:2])


def check(raw: dict[str, Any], where: str) -> str | None:
    """None when ``raw`` normalizes correctly, else a line saying what went wrong."""
    try:
        out = normalize(raw)
    except TransformError as exc:
        return None if not has_text(raw["entry"]) else f"{where}: TransformError on an entry with text: {exc}"
    if not schemas.is_valid("normalized-article", out):
        try:
            schemas.validate("normalized-article", out)
        except schemas.InvalidMessage as exc:
            return f"{where}: {exc}"
    for field in ("body_text", "summary_text", "title"):
        for tag in TAG.finditer(out[field]):
            if not written_as_text(raw["entry"], tag.group(0)):
                return f"{where}: HTML tag left in {field}: {tag.group(0)[:60]!r}"
    for key in ("published_at", "updated_at", "fetched_at"):
        datetime.strptime(out[key], UTC_TIME)  # noqa: DTZ007 - the format carries the Z
    if "\n\n\n" in out["body_text"] or out["body_text"] != out["body_text"].strip():
        return f"{where}: paragraphs not folded"
    return None


def parse_file(path: Path) -> list[dict[str, Any]]:
    from producers.jsonfeed import parse_json_feed
    from producers.parse import parse_feed

    body = path.read_bytes()
    parser = parse_json_feed if path.suffix == ".json" else parse_feed
    url = f"https://corpus.example/{path.name}"
    return parser(body, url=url, fetched_at=FETCHED).articles


def feed_files(*parts: str) -> Iterator[Path]:
    root = CORPUS.joinpath(*parts)
    if root.exists():
        for path in sorted(root.rglob("*")):
            if path.is_file() and path.suffix in (".xml", ".json", ".rss", ".atom", ".rdf"):
                yield path


def run_files(paths: list[Path]) -> tuple[int, list[str]]:
    count, failures = 0, []
    for path in paths:
        for i, raw in enumerate(parse_file(path)):
            count += 1
            failure = check(raw, f"{path.relative_to(CORPUS)}#{i}")
            if failure:
                failures.append(failure)
    return count, failures


REAL = [p.name for p in feed_files("real-feeds")]
FEEDPARSER_DIRS = sorted(
    {str(p.parent.relative_to(CORPUS / "feedparser-tests")) for p in feed_files("feedparser-tests")}
)


@pytest.mark.parametrize("name", REAL or ["(absent)"])
def test_real_feed(name: str) -> None:
    count, failures = run_files([corpus_path("real-feeds", name)])
    assert not failures, "\n".join(failures[:20])


@pytest.mark.parametrize("folder", FEEDPARSER_DIRS or ["(absent)"])
def test_feedparser_tests(folder: str) -> None:
    root = corpus_path("feedparser-tests", folder)
    paths = [p for p in sorted(root.iterdir()) if p.is_file() and p.suffix in (".xml", ".json")]
    count, failures = run_files(paths)
    assert not failures, f"{len(failures)} of {count} entries failed:\n" + "\n".join(failures[:20])


def test_article_versions() -> None:
    path = corpus_path("article-versions", "versions.jsonl")
    failures = []
    count = 0
    for line in path.read_text(encoding="utf-8").splitlines():
        record = orjson.loads(line)
        count += 1
        captured = datetime.fromisoformat(record["captured_at"]).astimezone(UTC).strftime(UTC_TIME)
        raw = {
            "article_id": record["article_id"],
            "source": "feed",
            "feed": {
                "url": "https://corpus.example/versions",
                "title": None,
                "publisher": record["publisher"],
                "language": record.get("language"),
            },  # fmt: skip
            "fetched_at": captured,
            "http": {"status": 200, "final_url": None, "etag": None, "last_modified": None},
            "entry": {
                "guid": record["url"],
                "link": record["url"],
                "title": record["title"],
                "summary": record["body_text"],
                "content": [],
                "published": {"raw": record.get("feed_pubdate"), "utc": None} if record.get("feed_pubdate") else None,
                "updated": None,
                "authors": [],
                "tags": [],
                "enclosures": [],
            },  # fmt: skip
            "producer": {"name": "corpus", "version": "0"},
        }
        failure = check(raw, f"versions.jsonl:{count}")
        if failure:
            failures.append(failure)
        elif record["body_text"].strip() and "\n\n" in record["body_text"]:
            out = normalize(raw)
            assert "\n\n" in out["body_text"] or out["dateline"], f"versions.jsonl:{count}: paragraphs lost"
    assert count > 0
    assert not failures, f"{len(failures)} of {count} failed:\n" + "\n".join(failures[:20])
