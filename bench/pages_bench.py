"""Pages producer benchmark: extraction pages/s on one core, scheduler cost for 1 M articles.

Extraction: real article texts collected from the shared corpus's real feeds (entries whose
content:encoded carries a whole article, >= 1,500 characters), each wrapped in a realistic page
(navigation, share widget, related links, JSON-LD, comment section, footer) and run through
``articles.extract.extract`` (trafilatura + JSON-LD) in this one process, one thread.

Scheduler: N schedule entries (realistic ids, URLs, 50 publishers, 500 feeds) in a ScheduleTable;
resident memory added, then due-time lookups: the clock jumps so every entry comes due in turn,
each is popped from the heap and put back at its next step (what the stage does per revisit).

    .venv/bin/python bench/pages_bench.py                 # 1,000,000 entries
    .venv/bin/python bench/pages_bench.py --entries 200000 --pages 200
"""

from __future__ import annotations

import argparse
import gc
import html
import json
import os
import random
import statistics
import time
from pathlib import Path

import feedparser

from articles.extract import extract
from producers.pages.ladder import DEFAULT_LADDER, LadderPolicy
from producers.pages.revisit import RevisitSettings, apply_outcome, schedule_new
from producers.pages.schedule import ScheduleTable

CORPUS = Path(os.environ.get("NEWSSTREAM_CORPUS", Path(__file__).resolve().parents[2] / "shared" / "corpus"))

PAGE = """<!doctype html><html lang="en"><head><meta charset="utf-8"><title>{title} | {site}</title>
<meta property="og:title" content="{title}"><script type="application/ld+json">{ld}</script>
<link rel="stylesheet" href="/main.css"><script>window.dataLayer=[];function gtag(){{}}</script></head>
<body><header><nav class="top"><a href="/">{site}</a> {nav}</nav></header>
<div class="share"><a href="#">Share on X</a> <a href="#">Facebook</a> <a href="#">Email</a></div>
<main><article><h1>{title}</h1><p class="byline">By Staff Reporter | {date}</p>{content}</article>
<aside class="related"><h3>Related</h3><ul>{related}</ul></aside></main>
<section id="comments" class="comments"><h3>Comments</h3><p>We moderate all comments.</p>
<form><textarea></textarea><button>Post a comment</button></form></section>
<footer><p>Copyright {site}. All rights reserved.</p><ul>{footer}</ul></footer></body></html>"""


def collect_pages(limit: int) -> list[tuple[str, bytes]]:
    """(url, page bytes) built from real feed entries with long HTML content."""
    pages: list[tuple[str, bytes]] = []
    nav = " ".join(f'<a href="/s/{i}">Section {i}</a>' for i in range(12))
    footer = "".join(f'<li><a href="/f/{i}">Footer link {i}</a></li>' for i in range(20))
    for path in sorted((CORPUS / "real-feeds").glob("*.xml")):
        parsed = feedparser.parse(path.read_bytes())
        site = parsed.feed.get("title") or path.stem
        for entry in parsed.entries:
            content = max((c.get("value", "") for c in entry.get("content", [])), key=len, default="")
            if len(content) < 1500:
                continue
            title = html.escape(entry.get("title") or "Untitled")
            ld = json.dumps({"@context": "https://schema.org", "@type": "NewsArticle", "headline": entry.get("title"),
                             "dateModified": entry.get("updated") or None})  # fmt: skip
            related = "".join(f'<li><a href="/r/{i}">Another story headline number {i}</a></li>' for i in range(8))
            page = PAGE.format(
                title=title, site=html.escape(site), ld=ld.replace("</", "<\\/"), nav=nav,
                date=entry.get("published", ""), content=content, related=related, footer=footer,
            )  # fmt: skip
            pages.append((entry.get("link") or f"https://example.org/{len(pages)}", page.encode()))
            if len(pages) >= limit:
                return pages
    return pages


def bench_extraction(limit: int) -> None:
    pages = collect_pages(limit)
    if not pages:
        print("extraction: no corpus pages found (set NEWSSTREAM_CORPUS)")
        return
    extract(*reversed(pages[0]))  # warm-up: imports, lxml caches
    times: list[float] = []
    empty = 0
    for url, body in pages:
        started = time.perf_counter()
        content = extract(body, url)
        times.append(time.perf_counter() - started)
        empty += content is None
    total = sum(times)
    sizes = [len(b) for _, b in pages]
    print(f"extraction: {len(pages)} pages (median {statistics.median(sizes) / 1024:.1f} KiB), one core")
    print(f"  {len(pages) / total:.0f} pages/s; per page median {statistics.median(times) * 1000:.2f} ms, "
          f"p95 {sorted(times)[int(len(times) * 0.95) - 1] * 1000:.2f} ms; no main text: {empty}")  # fmt: skip


def _rss_mb() -> float:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 1e6


def bench_scheduler(count: int) -> None:
    rng = random.Random(7)
    settings = RevisitSettings(LadderPolicy(DEFAULT_LADDER))
    publishers = [f"Publisher {i}" for i in range(50)]
    feeds = [f"https://feeds.example{i % 50}.com/section/{i}.xml" for i in range(500)]
    gc.collect()
    before = _rss_mb()
    table = ScheduleTable()
    start = 1_800_000_000.0
    started = time.perf_counter()
    for i in range(count):
        publisher = publishers[i % 50]
        first_seen = start + rng.random() * 86400  # a day of articles
        entry = schedule_new(
            f"u:{rng.getrandbits(96):024x}", f"https://www.example{i % 50}.com/news/2026/11/25/story-slug-{i}",
            publisher=publisher, feed_url=feeds[i % 500], partition=i % 3, first_seen=first_seen,
            now=first_seen, settings=settings,
        )  # fmt: skip
        assert entry is not None
        entry.etag = f'W/"{i:x}-{rng.getrandbits(32):08x}"'
        entry.content_fp = rng.getrandbits(64)
        table.put(entry)
    build_s = time.perf_counter() - started
    gc.collect()
    after = _rss_mb()
    print(f"scheduler: {count:,} entries built in {build_s:.1f} s; resident +{after - before:.0f} MB "
          f"({(after - before) * 1e6 / count:.0f} bytes per entry)")  # fmt: skip

    # due-time lookups: walk the clock forward; pop what is due, apply an outcome, put it back
    now = start
    done = 0
    started = time.perf_counter()
    while done < count:
        now += 60.0
        for entry in table.pop_due(now):
            decision = apply_outcome(entry, "unchanged", now, settings)
            if decision.finished:
                table.remove(entry.article_id)
            else:
                table.put(entry)
            done += 1
    elapsed = time.perf_counter() - started
    print(f"  {done:,} revisits' due-time lookups (pop due + next step + reschedule) in {elapsed:.2f} s: "
          f"{done / elapsed:,.0f} per second; next_due() peek: ", end="")  # fmt: skip
    started = time.perf_counter()
    for _ in range(100_000):
        table.next_due()
    print(f"{100_000 / (time.perf_counter() - started):,.0f} per second")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--entries", type=int, default=1_000_000)
    parser.add_argument("--pages", type=int, default=300)
    args = parser.parse_args()
    bench_extraction(args.pages)
    bench_scheduler(args.entries)


if __name__ == "__main__":
    main()
