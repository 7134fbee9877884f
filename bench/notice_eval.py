"""Quality of the notice detector on the labelled corpus (``corpus/notices``, split by source domain),
with bootstrap intervals, beside the hand-written rules it replaces.

    .venv/bin/python bench/notice_eval.py [--split dev|test] [--resamples 1000]

Items are resampled with replacement (seeded) to give 95 % intervals for notice precision and recall,
type macro-F1 and referenced-title accuracy: the thin types (headline_change, editors_note,
clarification) have a dozen items or fewer per split, and a figure on so few moves a lot.
"""

from __future__ import annotations

import argparse
import random
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from articles.notices import corpus  # noqa: E402
from articles.notices.evaluate import Outcome, Report, evaluate, render  # noqa: E402
from articles.notices.rules import classify  # noqa: E402
from articles.notices.segment import segments  # noqa: E402


def rules_report(items: list[corpus.Item]) -> Report:
    """The hand-written rules alone, judged the same way (best block or sentence overlapping the notice)."""
    outcomes = []
    for item in items:
        start = item.text.find(item.notice) if item.notice else -1
        end = start + len(item.notice)
        hit = None
        for seg in segments(item.text):
            if item.label != "none" and start >= 0 and not (seg.start < end and seg.end > start):
                continue
            verdict = classify(item.text[seg.start : seg.end], seg.position)
            if verdict is not None:
                hit = verdict[0]
                break
        outcomes.append(Outcome(item, hit or "none", 1.0 if hit else 0.0, None, hit is not None))
    return Report(outcomes)


def interval(report: Report, stat: str, resamples: int, seed: int = 11) -> tuple[float, float]:
    rng = random.Random(seed)
    values = []
    n = len(report.outcomes)
    for _ in range(resamples):
        sample = Report([report.outcomes[rng.randrange(n)] for _ in range(n)])
        p, r, *_ = sample.binary()
        values.append({"precision": p, "recall": r, "macro_f1": sample.macro_f1(), "titles": sample.titles()[0]}[stat])
    values.sort()
    return values[int(0.025 * len(values))], values[int(0.975 * len(values)) - 1]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--split", choices=("dev", "test"), default="test")
    parser.add_argument("--resamples", type=int, default=1000)
    args = parser.parse_args()
    items = corpus.load(split=args.split)
    if not items:
        print(f"no corpus at {corpus.corpus_dir()} (set NEWSSTREAM_CORPUS)", file=sys.stderr)
        return 2
    for name, report in (("model", evaluate(items)), ("rules (before)", rules_report(items))):
        print(f"== {name}, {args.split} split ==")
        print(render(report))
        for stat in ("precision", "recall", "macro_f1", "titles"):
            lo, hi = interval(report, stat, args.resamples)
            print(f"  95% interval {stat:10} [{lo:.3f}, {hi:.3f}]")
        print()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
