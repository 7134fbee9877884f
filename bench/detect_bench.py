"""Pure detect() speed and the resident memory of its state and of the title index (no Kafka).

    .venv/bin/python bench/detect_bench.py [--articles 20000] [--states 200000] [--titles 1000000]

Throughput: articles/s for first sightings, replays and new versions (a changed sentence), with
bodies of two sizes (an RSS standfirst, ~200 chars, and a full article, ~3,000 chars, built from
real sentences of the shared corpus when present).

Memory: each measurement runs in a fresh child process, which reads its VmRSS from
/proc/self/status, builds the structure, collects garbage and reads VmRSS again; the growth is what
the structure costs a process, allocator overhead and fragmentation included.

- states: N articles through ``detect()`` (first sightings, as a stage sees them), held in a dict by
  article id like the stage's store; realistic fields: id ``u:<24 hex>`` (as the normalizer makes),
  a URL, a SHA-256 hex content hash, one of 50 publishers. Extrapolated linearly to 1 M (building
  1 M full-length states takes ~10 minutes on a shared core; growth per state is constant).
- title index: M headlines added as the stage does (``add_key`` of decoded ``news.titles.v1``
  records), measured at M directly (1 M by default).

Target: state + title index for 1 M articles ≤ 1.5 GB resident.
"""

from __future__ import annotations

import argparse
import gc
import hashlib
import json
import os
import random
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from consumers.detect import detect  # noqa: E402
from consumers.detector_state import ArticleState  # noqa: E402
from consumers.title_index import TitleIndex, title_key  # noqa: E402

CORPUS = Path(os.environ.get("NEWSSTREAM_CORPUS", REPO.parent / "shared" / "corpus"))
SIZES = (("standfirst ~200 chars", 200), ("full article ~3,000 chars", 3_000))
PUBLISHERS = [f"Example News {n}" for n in range(50)]


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


def vm_rss() -> int:
    """Resident set size of this process in bytes (VmRSS of /proc/self/status)."""
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    raise RuntimeError("no VmRSS in /proc/self/status")


def throughput(label: str, fn, n: int) -> None:  # type: ignore[no-untyped-def]
    start = time.perf_counter()
    for i in range(n):
        fn(i)
    elapsed = time.perf_counter() - start
    print(f"  {label:44} {n / elapsed:10,.0f} articles/s  {elapsed / n * 1e6:8.1f} µs/article")


def run_throughput(n_articles: int, pool: list[str]) -> None:
    rng = random.Random(42)
    for name, chars in SIZES:
        n = n_articles if chars < 1000 else n_articles // 4
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


def article_id(i: int) -> str:
    return "u:" + hashlib.sha256(str(i).encode()).hexdigest()[:24]


def child_states(chars: int, n: int) -> dict[str, Any]:
    """In a fresh process: RSS growth of n states held in a dict by article id."""
    rng = random.Random(7)
    pool = sentences()
    bodies = [body(rng, pool, chars) for _ in range(500)]
    heads = [rng.choice(pool)[:80] for _ in range(500)]
    gc.collect()
    before = vm_rss()
    store: dict[str, ArticleState] = {}
    started = time.perf_counter()
    for i in range(n):
        # fresh strings per article (as decoded from Kafka), not shared ones
        text = bodies[i % 500] + f" Reported by desk {i}."
        title = heads[i % 500] + f" {i}"
        ident = article_id(i)
        _, state = detect(
            None,
            {
                "id": ident,
                "title": title,
                "body_text": text,
                "publisher": PUBLISHERS[i % len(PUBLISHERS)],
                "url": f"https://www.example-news.com/world/2024/03/story-{i:08d}-{ident[2:10]}",
                "content_hash": hashlib.sha256(text.encode()).hexdigest(),
                "language": "en",
            },
        )
        store[state.article_id] = state
    elapsed = time.perf_counter() - started
    del text, title, ident, state
    gc.collect()
    grown = vm_rss() - before
    blob = sum(s.nbytes() for s in store.values()) / n if hasattr(ArticleState, "nbytes") else 0
    return {"n": n, "bytes": grown, "blob": blob, "seconds": elapsed}


def child_titles(n: int) -> dict[str, Any]:
    """In a fresh process: RSS growth of a TitleIndex of n headlines, filled as the stage does."""
    rng = random.Random(11)
    pool = [s for s in sentences() if len(s) > 30]
    records = []
    for i in range(n):
        title = " ".join(rng.choice(pool)[:60].split()[:-1]) + f" {rng.choice(pool).split()[0]} {i}"
        records.append((title_key(PUBLISHERS[i % len(PUBLISHERS)], title).encode(), article_id(i).encode()))
    gc.collect()
    before = vm_rss()
    index = TitleIndex()
    started = time.perf_counter()
    for key, value in records:
        index.add_key(key.decode(), value.decode())
    elapsed = time.perf_counter() - started
    gc.collect()
    grown = vm_rss() - before
    return {"n": n, "bytes": grown, "entries": len(index), "seconds": elapsed}


def in_child(*args: str) -> dict[str, Any]:
    out = subprocess.run([sys.executable, __file__, "--child", *args], capture_output=True, text=True, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--articles", type=int, default=20_000, help="articles per throughput run")
    parser.add_argument("--states", type=int, default=200_000, help="states built for the memory measurement")
    parser.add_argument("--titles", type=int, default=1_000_000, help="headlines for the title index measurement")
    parser.add_argument("--skip-throughput", action="store_true")
    parser.add_argument("--child", nargs="+", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        kind, *rest = args.child
        result = child_states(int(rest[0]), int(rest[1])) if kind == "states" else child_titles(int(rest[0]))
        print(json.dumps(result))
        return 0

    if not args.skip_throughput:
        pool = sentences()
        print(f"sentence pool: {len(pool)} sentences")
        run_throughput(args.articles, pool)

    gib = 2**30
    print(f"\nmemory (RSS growth in a fresh process; states: {args.states:,} built, linear to 1 M)")
    titles = in_child("titles", str(args.titles))
    per_title = titles["bytes"] / titles["n"]
    print(
        f"  title index, {titles['n']:,} headlines: {titles['bytes'] / gib:.2f} GiB"
        f" = {per_title:.0f} B/title -> {per_title * 1e6 / gib:.2f} GiB per 1 M"
        f"  (filled at {titles['n'] / titles['seconds']:,.0f} titles/s)"
    )
    for name, chars in SIZES:
        states = in_child("states", str(chars), str(args.states))
        per = states["bytes"] / states["n"]
        total = (per + per_title) * 1e6
        print(
            f"  {name:26} state {per:5.0f} B/article (packed part {states['blob']:4.0f} B)"
            f" -> {per * 1e6 / gib:.2f} GiB per 1 M; with the title index {total / gib:.2f} GiB"
            f" = {total / 1e9:.2f} GB per 1 M articles  (built at {states['n'] / states['seconds']:,.0f}/s)"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
