"""Pure ``normalize()`` throughput on one core, and where the time goes.

Generates realistic ~5 KB HTML articles from its own text (paragraphs, links, emphasis, a figure, a
share bar, a script, a comment section), wraps each as a RawArticle, then times ``normalize()``
over them and prints articles/s, µs/article and a cProfile summary (top 10 by cumulative time).

    .venv/bin/python bench/normalize_bench.py [--articles 2000] [--rounds 3]
"""

from __future__ import annotations

import argparse
import cProfile
import io
import pstats
import random
import statistics
import time
from typing import Any

from consumers.normalize import normalize

WORDS = (
    "council budget river harbour minister report water supply village school bridge election "
    "market farmers weather storm rescue hospital doctors nurses police court judge ruling appeal "
    "museum festival theatre railway station airport flight delay strike union wages inflation "
    "energy prices solar wind turbine coast erosion forest wildfire drought harvest exports "
    "the a of to in and on for with by from at as that which after before during while said "
    "officials residents spokesperson statement announced confirmed denied expected reported"
).split()
PLACES = ["HALIFAX, Nova Scotia", "TROMSØ, Norway", "MOMBASA (Reuters)", "OAXACA, Mexico", "GENEVA (AP)"]


def sentence(rng: random.Random) -> str:
    words = [rng.choice(WORDS) for _ in range(rng.randint(10, 24))]
    if rng.random() < 0.3:
        i = rng.randrange(len(words))
        words[i] = f'<a href="https://example.org/{words[i]}?utm_source=rss">{words[i]}</a>'
    if rng.random() < 0.2:
        i = rng.randrange(len(words))
        words[i] = f"<em>{words[i]}</em>"
    return " ".join(words).capitalize() + "."


def article_html(rng: random.Random, target: int = 5000) -> str:
    parts = ['<div class="share"><a href="#">Share this article</a> <span>A+ A-</span></div>']
    first = True
    while sum(map(len, parts)) < target - 900:
        text = " ".join(sentence(rng) for _ in range(rng.randint(2, 4)))
        if first:
            text = f"{rng.choice(PLACES)} — {text}"
            first = False
        parts.append(f"<p>{text}</p>")
        if rng.random() < 0.1:
            parts.append(
                '<figure><img src="https://example.org/p.jpg" onerror="x()"><figcaption>A photo</figcaption></figure>'
            )
    parts.append("<script>track('view')</script>")
    parts.append("<p>CORRECTION: An earlier version of this article misstated the council&#8217;s budget.</p>")
    parts.append("<h3>Comments</h3><p>The Daily Ledger moderates all comments submitted on our website.</p>")
    parts.append("<p>Post a comment</p><p>Required</p>")
    return "\n".join(parts)


def raw_article(i: int, html: str) -> dict[str, Any]:
    return {
        "article_id": f"u:{i:024x}",
        "source": "feed",
        "feed": {
            "url": "https://ledger.example/rss",
            "title": "Daily Ledger",
            "publisher": "Daily Ledger",
            "language": "en",
        },
        "fetched_at": "2024-03-01T12:00:00Z",
        "http": {"status": 200, "final_url": "https://ledger.example/rss", "etag": None, "last_modified": None},
        "entry": {
            "guid": f"https://ledger.example/a/{i}",
            "link": f"https://ledger.example/a/{i}?utm_medium=rss",
            "title": f"Council approves harbour budget &amp; bridge repairs ({i})",
            "summary": "<p>The council approved the budget on Tuesday.</p>",
            "content": [{"type": "text/html", "language": None, "value": html}],
            "published": {"raw": "Fri, 01 Mar 2024 09:30:00 +0100", "utc": "2024-03-01T08:30:00Z"},
            "updated": None,
            "authors": ["Ana Ruiz"],
            "tags": ["Local", "Budget"],
            "enclosures": [],
            "language": None,
            "canonical_url": f"https://ledger.example/a/{i}",  # the link's, as the producers send it
        },
        "producer": {"name": "bench", "version": "0"},
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--articles", type=int, default=2000)
    ap.add_argument("--rounds", type=int, default=3)
    args = ap.parse_args()
    rng = random.Random(4)
    raws = [raw_article(i, article_html(rng)) for i in range(args.articles)]
    sizes = [len(r["entry"]["content"][0]["value"]) for r in raws]
    print(f"articles: {len(raws)}, HTML size mean {statistics.mean(sizes):.0f} B (min {min(sizes)}, max {max(sizes)})")
    for raw in raws[:50]:  # warm the simhash word cache the way a long-running stage has it warm
        normalize(raw)
    rates = []
    for r in range(args.rounds):
        start = time.perf_counter()
        for raw in raws:
            normalize(raw)
        elapsed = time.perf_counter() - start
        rates.append(len(raws) / elapsed)
        print(f"round {r + 1}: {rates[-1]:,.0f} articles/s ({elapsed / len(raws) * 1e6:,.0f} µs/article)")
    print(f"best {max(rates):,.0f} articles/s, median {statistics.median(rates):,.0f} articles/s on one core")
    profiler = cProfile.Profile()
    profiler.enable()
    for raw in raws:
        normalize(raw)
    profiler.disable()
    out = io.StringIO()
    pstats.Stats(profiler, stream=out).sort_stats("cumulative").print_stats(10)
    print(out.getvalue())


if __name__ == "__main__":
    main()
