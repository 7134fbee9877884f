"""Archive and web page speed: write rate, article page p95 and search p95 with 100,000 versions.

    .venv/bin/python bench/archive_bench.py [--versions 100000] [--dsn postgresql://…]

Targets (issue 16): ≥ 2,000 versions/s written on SQLite; an article page in ≤ 50 ms p95 and a
search in ≤ 100 ms p95 with 100,000 archived versions. Messages are synthetic NormalizedArticles
and CorrectionEvents (seeded; bodies of 250 words drawn Zipf-like from 6,000 words, so common words
match most versions; each later version rewrites ten words of one paragraph, and the headline every
third time); writes go through ``ArchiveStore.write_batch`` in batches of 500 records
(rows and offsets in one transaction, as the stage does; Kafka not included). Page timings are
real HTTP requests to ``newsstream web`` (a process) over the filled archive, one at a time.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path
from typing import Any
from urllib.parse import quote

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from consumers.archive.rows import Source  # noqa: E402
from consumers.archive.store import Record, open_store  # noqa: E402

VOCABULARY = 6_000
BATCH = 500


def words(rng: random.Random) -> list[str]:
    syllables = ["ka", "lo", "mi", "ra", "to", "ne", "su", "va", "de", "po", "li", "an", "er", "os", "ul"]
    out: set[str] = set()
    while len(out) < VOCABULARY:
        out.add("".join(rng.choice(syllables) for _ in range(rng.randint(2, 4))))
    return sorted(out)


def messages(n_versions: int, seed: int = 7) -> list[Record]:
    """``n_versions`` versions over n/4 articles (4 versions each) and one event per 5 versions."""
    rng = random.Random(seed)
    vocab = words(rng)
    weights = [1 / (rank + 1) for rank in range(len(vocab))]  # Zipf-like: a few words everywhere
    n_articles = max(1, n_versions // 4)
    records: list[Record] = []
    offsets = {"article": 0, "event": 0}

    def add(kind: str, message: dict[str, Any]) -> None:
        records.append(Record(kind, message, Source(kind, 0, offsets[kind])))
        offsets[kind] += 1

    bodies: dict[int, list[list[str]]] = {}
    titles: dict[int, str] = {}
    for v in range(1, 5):
        for i in range(n_articles):
            if v == 1:
                body_words = rng.choices(vocab, weights, k=250)
                bodies[i] = [body_words[p : p + 50] for p in range(0, 250, 50)]
                titles[i] = " ".join(rng.choices(vocab, weights, k=8)).capitalize()
            else:  # an edit: ten words of one paragraph rewritten, the headline every third time
                paragraph = bodies[i][rng.randrange(5)]
                at = rng.randrange(40)
                paragraph[at : at + 10] = rng.choices(vocab, weights, k=10)
                if rng.random() < 0.33:
                    titles[i] = " ".join(rng.choices(vocab, weights, k=8)).capitalize()
            title = titles[i]
            body = "\n\n".join(" ".join(p) + "." for p in bodies[i])
            aid = f"u:{i:024x}"
            chash = hashlib.blake2b(f"{title}{body}".encode(), digest_size=12).hexdigest()
            add("article", {
                "id": aid, "url": f"https://bench.example/{i}", "canonical_url": f"https://bench.example/{i}",
                "publisher": f"Publisher {i % 40}", "title": title, "summary_text": "", "body_text": body,
                "language": "en", "published_at": "2026-11-30T10:00:00Z", "updated_at": None,
                "fetched_at": f"2026-11-30T{10 + v:02d}:00:00Z", "content_hash": chash, "source": "feed",
            })  # fmt: skip
            if (i + v) % 5 == 0:
                notice = f"CORRECTION: An earlier version of this article misstated {rng.choice(vocab)}."
                add("event", {
                    "event_id": hashlib.md5(f"{aid}{v}".encode(), usedforsecurity=False).hexdigest(),
                    "type": "correction", "article_id": aid, "version": v, "detected_at": "2026-11-30T12:00:00Z",
                    "title": title, "url": None, "publisher": f"Publisher {i % 40}", "language": "en",
                    "evidence": {"method": "notice", "notice_text": notice, "span": None},
                    "previous": None, "diff": None, "referenced_article": None,
                })  # fmt: skip
    return records


def write(dsn: str, records: list[Record]) -> tuple[float, int]:
    store = open_store(dsn)
    store.migrate()
    versions = 0
    started = time.perf_counter()
    for start in range(0, len(records), BATCH):
        versions += store.write_batch(records[start : start + BATCH], "bench").versions
    elapsed = time.perf_counter() - started
    store.close()
    return elapsed, versions


def percentiles(samples: list[float]) -> str:
    ordered = sorted(samples)
    p = statistics.quantiles(ordered, n=100)
    return f"p50 {p[49] * 1000:6.1f} ms   p95 {p[94] * 1000:6.1f} ms   p99 {p[98] * 1000:6.1f} ms   (n={len(samples)})"


def timed_gets(base: str, paths: list[str]) -> list[float]:
    samples = []
    for path in paths:
        started = time.perf_counter()
        with urllib.request.urlopen(base + path, timeout=30) as response:  # noqa: S310 - loopback
            response.read()
            assert response.status == 200, path
        samples.append(time.perf_counter() - started)
    return samples


def serve(dsn: str, port: int) -> subprocess.Popen[bytes]:
    env = {**os.environ, "NEWSSTREAM_ARCHIVE_DSN": dsn, "NEWSSTREAM_LOG_FORMAT": "json"}
    process = subprocess.Popen([sys.executable, "-m", "newsstream.cli", "web", "--port", str(port)], env=env,
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)  # fmt: skip
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/readyz", timeout=2).read()  # noqa: S310
            return process
        except OSError:
            time.sleep(0.2)
    process.kill()
    raise SystemExit("newsstream web did not start")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--versions", type=int, default=100_000)
    parser.add_argument("--dsn", help="archive DSN (default: a fresh SQLite file in a temp dir)")
    parser.add_argument("--requests", type=int, default=300, help="requests per page kind (300)")
    parser.add_argument("--port", type=int, default=18089)
    args = parser.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="archive-bench-"))
    dsn = args.dsn or f"sqlite:///{tmp / 'archive.sqlite3'}"
    backend = dsn.split(":", 1)[0]
    # Two shared cores: the load says how much of the machine the numbers below had.
    print(f"load average at start: {os.getloadavg()[0]:.1f} (cores: {os.cpu_count()})")
    print(f"generating {args.versions:,} versions …", flush=True)
    records = messages(args.versions)
    n_events = sum(1 for r in records if r.kind == "event")
    elapsed, versions = write(dsn, records)
    print(f"write ({backend}): {versions:,} versions + {n_events:,} events in {elapsed:.1f} s = "
          f"{versions / elapsed:,.0f} versions/s (target ≥ 2,000 on SQLite)")  # fmt: skip
    if backend == "sqlite":
        size = sum(f.stat().st_size for f in tmp.glob("archive.sqlite3*"))
        print(f"  database size {size / 1e6:.0f} MB ({size / versions / 1e3:.1f} kB per version, FTS included)")

    rng = random.Random(11)
    store = open_store(dsn)
    ids = [r["id"] for r in store.query("SELECT id FROM articles")]
    vocab = words(random.Random(7))
    store.close()
    process = serve(dsn, args.port)
    base = f"http://127.0.0.1:{args.port}"
    try:
        timed_gets(base, ["/", "/search?q=warm"])  # first requests open connections
        article_paths = [f"/article/{quote(rng.choice(ids), safe='')}" for _ in range(args.requests)]
        print("article page (timeline, v3→v4 diff, text with notices):", percentiles(timed_gets(base, article_paths)))
        kinds = {
            "common word": vocab[:20], "mid word": vocab[200:400], "rare word": vocab[-500:],
        }  # fmt: skip
        for name, pool in kinds.items():
            paths = [f"/search?q={quote(rng.choice(pool))}" for _ in range(args.requests // 3)]
            print(f"search page, {name:11}:", percentiles(timed_gets(base, paths)))
        two = [f"/search?q={quote(rng.choice(vocab[:300]) + ' ' + rng.choice(vocab[:300]))}" for _ in range(100)]
        print("search page, two words  :", percentiles(timed_gets(base, two)))
        print("events page (latest 50) :", percentiles(timed_gets(base, ["/"] * 100)))
        print("events, one publisher   :", percentiles(timed_gets(base, ["/?publisher=Publisher+7"] * 100)))
    finally:
        process.terminate()
        process.wait(timeout=10)
    print(f"load average at end: {os.getloadavg()[0]:.1f}")
    print("targets: article page ≤ 50 ms p95, search ≤ 100 ms p95 (100,000 versions)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
