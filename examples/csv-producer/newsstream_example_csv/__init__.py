"""An example newsstream producer: a site that publishes its latest stories as CSV.

The document has a header row and the columns ``link,title,summary,published`` (``published`` in
ISO 8601 with an offset). Fetching, conditional GET, scheduling, dedupe by fingerprint, Kafka and
state all come from newsstream; this class only maps one document to RawArticles.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from producers.base import HttpProducer
from producers.feeds import FeedConfig
from producers.fingerprint import utc_string
from producers.parse import ParseResult, build_article, feed_block, fetched_at_string, http_block

__all__ = ["CsvProducer"]


def _date(value: str | None) -> dict[str, Any] | None:
    if not value:
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        return {"raw": value, "utc": None}
    return {"raw": value, "utc": utc_string(parsed) if parsed.tzinfo else None}


class CsvProducer(HttpProducer):
    """``type = "csv"``: one RawArticle per CSV row."""

    name = "csv"
    version = "0.1.0"

    def parse(
        self,
        body: bytes,
        *,
        url: str,
        headers: Mapping[str, str],
        feed: FeedConfig,
        fetched_at: datetime,
        http: Mapping[str, Any],
    ) -> ParseResult:
        try:
            rows = list(csv.DictReader(io.StringIO(body.decode("utf-8-sig"))))
        except (UnicodeDecodeError, csv.Error) as exc:
            return ParseResult(articles=[], outcome="parse_error", bozo=f"{type(exc).__name__}: {exc}")
        if rows and "link" not in rows[0]:
            return ParseResult(articles=[], outcome="parse_error", bozo="no 'link' column")
        feed_facts = feed_block(feed, url, None, None)
        articles = []
        for row in rows:
            article = build_article(
                guid=None,
                link=(row.get("link") or "").strip() or None,
                title=row.get("title"),
                summary=row.get("summary"),
                content=[],
                published=_date(row.get("published")),
                updated=None,
                authors=[],
                tags=[],
                enclosures=[],
                language=None,
                feed_url=url,
                feed=dict(feed_facts),
                fetched_at=fetched_at_string(fetched_at),
                http=http_block(http, url),
                producer=self.producer_info,
            )
            if article is not None:
                articles.append(article)
        return ParseResult(
            articles=articles,
            outcome="ok",
            format="csv",
            entries_seen=len(rows),
            entries_skipped=len(rows) - len(articles),
        )
