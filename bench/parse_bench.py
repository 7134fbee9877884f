"""Full parse of the real-feeds corpus through the producer's parse path vs bare feedparser.

    .venv/bin/python bench/parse_bench.py [--repeat 5] [--corpus DIR]

The producer path is what ``newsstream produce`` runs per fetched document (``RssProducer.parse``:
DOCTYPE defusing, feedparser.parse from a BytesIO with the response headers, mapping to RawArticle
dicts, fingerprints, article ids; JSON Feeds through ``JsonFeedProducer.parse``). The baseline is
``feedparser.parse`` on the same bytes with the same headers (JSON Feeds: ``orjson.loads``), in the
same run, interleaved round by round. Prints both times (best of N) and the ratio (target <= 1.15).
"""

from __future__ import annotations

import argparse
import io
import os
import time
from datetime import UTC, datetime
from pathlib import Path

import feedparser
import orjson

from producers.feeds import FeedConfig
from producers.jsonfeed import JsonFeedProducer
from producers.rss import RssProducer

REPO = Path(__file__).resolve().parents[1]
DEFAULT_CORPUS = Path(os.environ.get("NEWSSTREAM_CORPUS", REPO.parent / "shared" / "corpus")) / "real-feeds"
HEADERS = {"content-type": "application/rss+xml", "content-location": "https://bench.example/feed"}


def load(corpus: Path) -> list[tuple[str, bytes]]:
    return [(p.name, p.read_bytes()) for p in sorted(corpus.iterdir()) if p.suffix in (".xml", ".json")]


def bare(docs: list[tuple[str, bytes]]) -> int:
    entries = 0
    for name, body in docs:
        if name.endswith(".json"):
            entries += len(orjson.loads(body).get("items", []))
        else:
            entries += len(feedparser.parse(io.BytesIO(body), response_headers=dict(HEADERS)).entries)
    return entries


def producer_path(docs: list[tuple[str, bytes]]) -> int:
    rss, jsonfeed = RssProducer(), JsonFeedProducer()
    feed = FeedConfig(url="https://bench.example/feed", name="bench", publisher="Bench")
    http = {"status": 200, "final_url": feed.url, "etag": None, "last_modified": None}
    now = datetime.now(UTC)
    articles = 0
    for name, body in docs:
        producer = jsonfeed if name.endswith(".json") else rss
        result = producer.parse(body, url=feed.url, headers=HEADERS, feed=feed, fetched_at=now, http=http)
        articles += len(result.articles)
    return articles


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS)
    args = parser.parse_args()
    docs = load(args.corpus)
    size = sum(len(b) for _, b in docs)
    bare(docs), producer_path(docs)  # warm up imports and caches
    best_bare = best_ours = float("inf")
    for _ in range(args.repeat):
        started = time.perf_counter()
        entries = bare(docs)
        best_bare = min(best_bare, time.perf_counter() - started)
        started = time.perf_counter()
        articles = producer_path(docs)
        best_ours = min(best_ours, time.perf_counter() - started)
    print(f"corpus: {len(docs)} documents, {size / 1e6:.1f} MB, {entries} entries -> {articles} RawArticles")
    print(f"bare feedparser.parse : {best_bare:.3f} s (best of {args.repeat})")
    print(f"producer parse path   : {best_ours:.3f} s (best of {args.repeat})")
    print(f"ratio                 : {best_ours / best_bare:.3f} (target <= 1.15)")


if __name__ == "__main__":
    main()
