"""The RSS/Atom/RDF producer: conditional GET, then :func:`producers.parse.parse_feed`."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from producers.base import HttpProducer
from producers.feeds import FeedConfig
from producers.parse import ParseResult, parse_feed
from producers.sniff import HTML_ERROR, mismatch_note, sniff, unknown_hint


class RssProducer(HttpProducer):
    """RSS 0.9x/1.0/2.0 and Atom feeds through feedparser (``type = "rss"``, the default).

    A document that is really a JSON Feed is parsed as one, with a note naming the ``type`` to set.
    """

    name = "rss"

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
        kind = sniff(body)
        if kind == "html":
            return ParseResult(articles=[], outcome="parse_error", bozo=HTML_ERROR)
        if kind == "jsonfeed":
            from producers.jsonfeed import parse_json_feed

            result = parse_json_feed(
                body, url=url, headers=headers, feed=feed, fetched_at=fetched_at, http=http, producer=self.producer_info
            )
            result.notes.append(mismatch_note(self.name, kind))
            return result
        result = parse_feed(
            body, url=url, headers=headers, feed=feed, fetched_at=fetched_at, http=http, producer=self.producer_info
        )
        if kind is None and result.outcome != "ok":
            result.bozo = (result.bozo or "not a feed") + unknown_hint(body)
        return result
