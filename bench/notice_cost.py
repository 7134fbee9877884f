"""Cost of the notice detector per article: ``find_notices`` over real article bodies (``corpus/real-feeds``).

    .venv/bin/python bench/notice_cost.py [--rounds 5]

Prints the median and 95th percentile per article (best of ``rounds`` per article, after a warm-up that
loads the model), and the share of candidate segments that pass the trigger and reach the classifier.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from articles.notices import corpus, could_be_notice, find_notices  # noqa: E402
from articles.notices.segment import segments  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    bodies = [body for _name, body in corpus.feed_bodies()]
    if not bodies:
        print("no real-feeds corpus (set NEWSSTREAM_CORPUS)", file=sys.stderr)
        return 2
    find_notices("", bodies[0])  # loads the model
    costs = []
    for body in bodies:
        best = float("inf")
        for _ in range(args.rounds):
            started = time.perf_counter()
            find_notices("", body)
            best = min(best, time.perf_counter() - started)
        costs.append(best * 1000)
    costs.sort()
    segs = [body[s.start : s.end] for body in bodies for s in segments(body)]
    passed = sum(could_be_notice(text) for text in segs)
    chars = statistics.median(len(b) for b in bodies)
    print(f"{len(bodies)} real article bodies (median {chars:.0f} characters), {len(segs)} candidate segments, "
          f"{passed / len(segs):.0%} pass the trigger")  # fmt: skip
    print(f"find_notices per article: median {statistics.median(costs):.3f} ms, "
          f"p95 {costs[int(0.95 * len(costs))]:.3f} ms, max {costs[-1]:.3f} ms")  # fmt: skip
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
