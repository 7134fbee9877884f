"""Pure detect() speed and the memory of its state (no Kafka).

    .venv/bin/python bench/detect_bench.py [--articles 20000] [--states 100000]

Prints articles/s for first sightings, replays and new versions (a changed sentence), with bodies of
two sizes (an RSS standfirst, ~200 chars, and a full article, ~3,000 chars, built from real sentences
of the shared corpus when present), and the resident memory of N ArticleStates and a TitleIndex of N
headlines, extrapolated to 1 M articles (target ≤ 1.5 GB).
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import random
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from consumers.detect import detect  # noqa: E402
from consumers.detector_state import ArticleState  # noqa: E402
from consumers.title_index import TitleIndex  # noqa: E402

CORPUS = Path(os.environ.get("NEWSSTREAM_CORPUS", REPO.parent / "shared" / "corpus"))


def sentences() -> list[str]:
    path = CORPUS / "article-versions" / "versions.jsonl"
    out: list[str] = []
    if path.exists():
        for line in path.read_text(encoding="utf-8").splitlines():
            record = json.loads(line)
            out.extend(s.strip() + "." for s in record["body_text"].split(".") if len(s.strip()) > 40)
            out.append(record["title"])
    if len(out) < 100:  # no corpus: synthetic but varied
        rng = random.Random(1)
        words = [f"w{rng.randrange(50_000)}" for _ in range(20_000)]
        out = [" ".join(rng.choice(words) for _ in range(18)).capitalize() + "." for _ in range(5_000)]
    return out


def body(rng: random.Random, pool: list[str], chars: int) -> str:
    paragraphs, size = [], 0
    while size < chars:
        paragraph = " ".join(rng.choice(pool) for _ in range(rng.randint(1, 3)))
        paragraphs.append(paragraph)
        size += len(paragraph) + 2
    return "\n\n".join(paragraphs)


def rss_bytes() -> int:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


def throughput(label: str, fn, n: int) -> None:  # type: ignore[no-untyped-def]
    start = time.perf_counter()
    for i in range(n):
        fn(i)
    elapsed = time.perf_counter() - start
    print(f"  {label:44} {n / elapsed:10,.0f} articles/s  {elapsed / n * 1e6:8.1f} µs/article")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--articles", type=int, default=20_000, help="articles per throughput run")
    parser.add_argument("--states", type=int, default=100_000, help="states held for the memory measurement")
    args = parser.parse_args()
    rng = random.Random(42)
    pool = sentences()
    print(f"sentence pool: {len(pool)} sentences")

    for name, chars in (("standfirst ~200 chars", 200), ("full article ~3,000 chars", 3_000)):
        n = args.articles if chars < 1000 else args.articles // 4
        articles = [
            {"id": f"a{i}", "title": rng.choice(pool)[:90], "body_text": body(rng, pool, chars), "publisher": "P"}
            for i in range(n)
        ]
        edited = [
            {**a, "body_text": a["body_text"].replace(" the ", " a ", 1) + "\n\n" + rng.choice(pool)} for a in articles
        ]
        states: list[ArticleState] = [None] * n  # type: ignore[list-item]
        titles = TitleIndex()
        for a in articles[: n // 2]:
            titles.add("P", a["title"], a["id"])
        print(f"\n{name} ({n} articles)")

        def first(i: int, articles=articles, states=states, titles=titles) -> None:  # type: ignore[no-untyped-def]
            states[i] = detect(None, articles[i], titles=titles)[1]

        def replay(i: int, articles=articles, states=states, titles=titles) -> None:  # type: ignore[no-untyped-def]
            detect(states[i], articles[i], titles=titles)

        def version(i: int, edited=edited, states=states, titles=titles) -> None:  # type: ignore[no-untyped-def]
            detect(states[i], edited[i], titles=titles)

        throughput("first sighting (notices scan, new state)", first, n)
        throughput("replay (same content hash)", replay, n)
        throughput("new version (diff + notices)", version, n)

    print(f"\nmemory: {args.states:,} ArticleStates (standfirst and full-article bodies) + TitleIndex")
    for name, chars in (("standfirst ~200 chars", 200), ("full article ~3,000 chars", 3_000)):
        gc.collect()
        bodies = [body(rng, pool, chars) for _ in range(500)]
        heads = [rng.choice(pool)[:90] for _ in range(500)]
        before = rss_bytes()
        store: dict[str, ArticleState] = {}
        for i in range(args.states):
            article_id = f"https://www.example-news.com/world/2024/story-{i:08d}"
            # fresh strings per state (as decoded from Kafka), not shared ones
            text = bodies[i % 500] + f" {i}"
            title = heads[i % 500] + f" {i}"
            _, state = detect(
                None,
                {
                    "id": article_id,
                    "title": title,
                    "body_text": text,
                    "publisher": "Example News",
                    "url": article_id,
                    "content_hash": f"sha256:{i:064x}",
                    "language": "en",
                },
            )
            store[article_id] = state
        gc.collect()
        states_bytes = rss_bytes() - before
        titles = TitleIndex()
        for i, (article_id, state) in enumerate(store.items()):
            titles.add("Example News", state.title, article_id)
            if i == 0:
                gc.collect()
        gc.collect()
        index_bytes = rss_bytes() - before - states_bytes
        per = states_bytes / args.states
        per_index = index_bytes / args.states
        print(
            f"  {name:28} state {per:7.0f} B/article -> {per * 1e6 / 2**30:5.2f} GiB per 1 M;"
            f"  title index {per_index:5.0f} B/title -> {per_index * 1e6 / 2**30:5.2f} GiB per 1 M;"
            f"  total {(per + per_index) * 1e6 / 2**30:5.2f} GiB per 1 M"
        )
        del store, titles
    return 0


if __name__ == "__main__":
    sys.exit(main())
