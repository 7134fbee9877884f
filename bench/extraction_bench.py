"""Article-extraction benchmark: this project's extractor beside bare trafilatura, on the public
Zyte benchmark pages in ``$NEWSSTREAM_CORPUS/article-extraction`` (181 real pages, hand-checked
bodies), with the benchmark's own metric re-implemented (its README):

tokens are ``\\w+`` matches; each text is the multiset of its 4-token shingles; per page
tp = Σ min, fp = excess predicted, fn = excess true, divided by their sum; precision is the mean over
pages that predicted something, recall over pages with a true body, and F1 comes from the two means
(``evaluate.py`` of scrapinghub/article-extraction-benchmark). The ± is the bootstrap standard
deviation of F1 (1,000 resamples of the pages, seeded; the benchmark prints 1.96 times it), and the
paired difference is resampled the same way.

Rows: ``articles.extract`` (the pages producer's extraction), bare ``trafilatura.extract(html)``
(the benchmark's own call) and ``normalize()`` fed the page as a feed entry's content. Pages/s is
measured in this one process on one thread (warm-up excluded); on a shared machine compare the
rows of one run, not runs.

    .venv/bin/python bench/extraction_bench.py
    .venv/bin/python bench/extraction_bench.py --worst 5      # and the 5 pages this project does worst on
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import random
import re
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path

CORPUS = Path(os.environ.get("NEWSSTREAM_CORPUS", Path(__file__).resolve().parents[2] / "shared" / "corpus"))
_TOKEN = re.compile(r"\w+")


def shingles(text: str, n: int = 4) -> Counter[tuple[str, ...]]:
    """4-token shingles; a text of fewer tokens is one short shingle (as the benchmark does)."""
    tokens = _TOKEN.findall(text or "")
    return Counter(tuple(tokens[i : i + n]) for i in range(max(1, len(tokens) - n + 1)) if tokens[i : i + n])


Counts = tuple[float, float, float]


def page_counts(truth: str, pred: str) -> Counts:
    """(tp, fp, fn) of one page over shingle multisets, divided by their sum (every page weighs the same)."""
    t, p = shingles(truth), shingles(pred)
    tp = sum((t & p).values())
    fp = sum((p - t).values())
    fn = sum((t - p).values())
    total = tp + fp + fn
    return (tp / total, fp / total, fn / total) if total else (0.0, 0.0, 0.0)


def _precision(tp: float, fp: float, fn: float) -> float:
    return 1.0 if fp == fn == 0 else (0.0 if tp == fp == 0 else tp / (tp + fp))


def _recall(tp: float, fp: float, fn: float) -> float:
    return 1.0 if fp == fn == 0 else (0.0 if tp == fn == 0 else tp / (tp + fn))


def f1(precision: float, recall: float) -> float:
    return 2 * precision * recall / (precision + recall) if precision + recall else 0.0


def summary(counts: list[Counts]) -> tuple[float, float, float]:
    """Precision (mean over pages that predicted something), recall (over pages with a truth), F1."""
    ps = [_precision(*c) for c in counts if c[0] + c[1] > 0]
    rs = [_recall(*c) for c in counts if c[0] + c[2] > 0]
    precision = sum(ps) / len(ps) if ps else 0.0
    recall = sum(rs) / len(rs) if rs else 0.0
    return precision, recall, f1(precision, recall)


def page_f1(c: Counts) -> float:
    return f1(_precision(*c), _recall(*c))


def bootstrap(scores: list[Counts], other: list[Counts] | None, rounds: int = 1000) -> tuple[float, float, float]:
    """(std of F1, mean and std of F1 - F1(other)) over page resamples."""
    rng = random.Random(42)
    n = len(scores)
    values, diffs = [], []
    for _ in range(rounds):
        pick = [rng.randrange(n) for _ in range(n)]
        a = summary([scores[i] for i in pick])[2]
        values.append(a)
        if other is not None:
            diffs.append(a - summary([other[i] for i in pick])[2])

    def std(xs: list[float]) -> float:
        mean = sum(xs) / len(xs)
        return (sum((x - mean) ** 2 for x in xs) / (len(xs) - 1)) ** 0.5

    return std(values), (sum(diffs) / len(diffs) if diffs else 0.0), (std(diffs) if diffs else 0.0)


def load_pages(limit: int | None = None) -> list[tuple[str, str, str, str]]:
    """(sha, url, html, true body) of every benchmark page."""
    folder = CORPUS / "article-extraction"
    truth = json.loads((folder / "ground-truth.json").read_text(encoding="utf-8"))
    out = []
    for sha in sorted(truth)[:limit]:
        with gzip.open(folder / "html" / f"{sha}.html.gz", "rb") as f:
            html = f.read().decode("utf-8", errors="replace")
        out.append((sha, truth[sha]["url"], html, truth[sha]["articleBody"] or ""))
    return out


def ours(html: str, url: str) -> str:
    from articles.extract import extract

    content = extract(html, url)
    return "\n\n".join(content.paragraphs) if content is not None else ""


def bare_trafilatura(html: str, url: str) -> str:
    import trafilatura

    return trafilatura.extract(html, include_comments=False) or ""


def via_normalizer(html: str, url: str) -> str:
    from consumers.normalize import normalize

    raw = {
        "feed": {"url": "https://example.org/feed", "title": "Feed", "publisher": None},
        "fetched_at": "2026-01-01T00:00:00Z",
        "http": {"status": 200, "final_url": url},
        "entry": {"guid": url, "link": url, "title": "", "summary": None,
                  "content": [{"type": "text/html", "language": None, "value": html}],
                  "published": None, "updated": None, "authors": [], "tags": [], "enclosures": []},
    }  # fmt: skip
    try:
        return str(normalize(raw)["body_text"])
    except Exception:  # noqa: BLE001 - a page normalize rejects counts as empty
        return ""


def run(name: str, fn: Callable[[str, str], str], pages: list[tuple[str, str, str, str]]):  # type: ignore[no-untyped-def]
    fn(pages[0][2], pages[0][1])  # warm-up: imports, lxml caches
    scores, empty, crashed = [], 0, 0
    started = time.perf_counter()
    for _sha, url, html, _truth in pages:
        try:
            text = fn(html, url)
        except Exception:  # noqa: BLE001 - counted and shown
            text, crashed = "", crashed + 1
        empty += not text.strip()
        scores.append((text,))
    elapsed = time.perf_counter() - started
    result = [page_counts(p[3], s[0]) for p, s in zip(pages, scores, strict=True)]
    return name, result, empty, crashed, len(pages) / elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--worst", type=int, default=0, help="list the N lowest-F1 pages of this project")
    parser.add_argument("--limit", type=int, default=None, help="first N pages only")
    args = parser.parse_args()
    if not (CORPUS / "article-extraction" / "ground-truth.json").exists():
        raise SystemExit(f"no benchmark at {CORPUS / 'article-extraction'} (set NEWSSTREAM_CORPUS)")
    pages = load_pages(args.limit)
    rows = [
        run("newsstream articles.extract", ours, pages),
        run("bare trafilatura (benchmark call)", bare_trafilatura, pages),
    ]
    rows.append(run("normalize() on page HTML", via_normalizer, pages))
    reference = rows[1][1]
    print(f"{len(pages)} pages; F1 ± bootstrap std; Δ = paired F1 difference to bare trafilatura")
    head = ("extractor", "precision", "recall", "F1", "±", "Δ F1", "empty", "crash", "pages/s")
    print("{:36} {:>9} {:>7} {:>6} {:>6} {:>14} {:>5} {:>5} {:>8}".format(*head))
    for name, scores, empty, crashed, rate in rows:
        p, r, f = summary(scores)
        std, diff, diff_std = bootstrap(scores, reference if scores is not reference else None)
        delta = f"{diff:+.3f} ± {diff_std:.3f}" if scores is not reference else "—"
        print(f"{name:36} {p:9.3f} {r:7.3f} {f:6.3f} {std:6.3f} {delta:>14} {empty:5d} {crashed:5d} {rate:8.1f}")
    if args.worst:
        mine = rows[0][1]
        order = sorted(range(len(pages)), key=lambda i: page_f1(mine[i]))
        for i in order[: args.worst]:
            c = mine[i]
            print(f"  F1 {page_f1(c):.3f} P={_precision(*c):.3f} R={_recall(*c):.3f} {pages[i][0][:12]} {pages[i][1]}")


if __name__ == "__main__":
    main()
