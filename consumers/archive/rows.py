"""Pure mapping from pipeline messages to archive rows (no database, no Kafka)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import orjson


@dataclass(frozen=True)
class Source:
    """Where a row came from: the Kafka record, so offsets and rows can be checked against each other."""

    topic: str
    partition: int
    offset: int


def version_row(article: dict[str, Any], src: Source) -> dict[str, Any]:
    """The columns of one version (its number is assigned by the store, per article)."""
    return {
        "article_id": str(article["id"]),
        "title": article.get("title") or "",
        "summary_text": article.get("summary_text") or "",
        "body_text": article.get("body_text") or "",
        "content_hash": article.get("content_hash") or "",
        "fetched_at": article.get("fetched_at"),
        "published_at": article.get("published_at"),
        "updated_at": article.get("updated_at"),
        "source": article.get("source") or "feed",
        "src_partition": src.partition,
        "src_offset": src.offset,
    }


def article_row(article: dict[str, Any]) -> dict[str, Any]:
    """The article-level columns a version carries (latest version wins)."""
    return {
        "id": str(article["id"]),
        "publisher": article.get("publisher"),
        "canonical_url": article.get("canonical_url"),
        "url": article.get("url"),
        "language": article.get("language"),
        "title": article.get("title") or "",
        "published_at": article.get("published_at"),
        "fetched_at": article.get("fetched_at"),
    }


def event_row(event: dict[str, Any], src: Source) -> dict[str, Any]:
    """The columns of one CorrectionEvent; nested parts are flattened, the diff kept as JSON."""
    evidence = event.get("evidence") or {}
    span = evidence.get("span") or [None, None]
    previous = event.get("previous") or {}
    diff = event.get("diff")
    ref = event.get("referenced_article") or {}
    return {
        "event_id": str(event["event_id"]),
        "article_id": str(event["article_id"]),
        "type": event["type"],
        "version": int(event["version"]),
        "detected_at": event.get("detected_at"),
        "title": event.get("title") or "",
        "url": event.get("url"),
        "publisher": event.get("publisher"),
        "language": event.get("language"),
        "method": evidence.get("method"),
        "notice_text": evidence.get("notice_text"),
        "notice_field": evidence.get("field"),
        "span_start": span[0],
        "span_end": span[1],
        "previous_version": previous.get("version"),
        "previous_title": previous.get("title"),
        "words_added": diff.get("words_added") if diff else None,
        "words_removed": diff.get("words_removed") if diff else None,
        "diff_json": orjson.dumps(diff).decode() if diff else None,
        "ref_title": ref.get("title"),
        "ref_article_id": ref.get("article_id"),
        "ref_score": ref.get("score"),
        "src_partition": src.partition,
        "src_offset": src.offset,
    }


VERSION_COLUMNS = tuple(version_row({"id": ""}, Source("", 0, 0))) + ("version",)
EVENT_COLUMNS = tuple(event_row({"event_id": "", "article_id": "", "type": "", "version": 1}, Source("", 0, 0)))
