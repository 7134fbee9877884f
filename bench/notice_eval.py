"""Precision and recall of the notice classifier on the labelled development set.

    .venv/bin/python bench/notice_eval.py [--split dev|test|all] [--errors] [--baseline]

``tests/data/notices-devset.jsonl`` holds sentences/paragraphs written for this project in the styles
real outlets use, each ``{text, label, position, lang, split}``; ``label`` is a notice type or
``none`` (hard negatives: market corrections, Departments of Corrections, news about someone else's
retraction, software updates, series introductions…). Rules were tuned on ``split == "dev"`` only;
``test`` is the held-out part. ``--baseline`` also scores the line-start regex DESIGN.md mentions.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from collections import Counter
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from articles.notices import TYPES, classify  # noqa: E402

DEVSET = REPO / "tests" / "data" / "notices-devset.jsonl"
_BASELINE = re.compile(r"^\W*(update|correction)", re.IGNORECASE)


def load(split: str) -> list[dict[str, str]]:
    rows = [json.loads(line) for line in DEVSET.read_text(encoding="utf-8").splitlines() if line.strip()]
    return rows if split == "all" else [r for r in rows if r["split"] == split]


def predict(row: dict[str, str]) -> str:
    hit = classify(row["text"], row["position"])
    return hit[0] if hit else "none"


def baseline(row: dict[str, str]) -> str:
    m = _BASELINE.match(row["text"])
    return m.group(1).lower() if m else "none"


def report(rows: list[dict[str, str]], guess: dict[int, str], title: str) -> dict[str, float]:
    print(f"\n== {title}: {len(rows)} items ({sum(r['label'] == 'none' for r in rows)} none)")
    print(f"{'type':16} {'gold':>5} {'pred':>5} {'tp':>4} {'precision':>9} {'recall':>7} {'f1':>6}")
    totals = Counter()
    for kind in TYPES:
        gold = sum(r["label"] == kind for r in rows)
        pred = sum(guess[i] == kind for i in range(len(rows)))
        tp = sum(r["label"] == kind and guess[i] == kind for i, r in enumerate(rows))
        totals.update(gold=gold, pred=pred, tp=tp)
        p = tp / pred if pred else float("nan")
        rc = tp / gold if gold else float("nan")
        f1 = 2 * p * rc / (p + rc) if pred and gold and (p + rc) else float("nan")
        print(f"{kind:16} {gold:5} {pred:5} {tp:4} {p:9.2f} {rc:7.2f} {f1:6.2f}")
    # overall: typed (type must match) and detection (any notice type vs none)
    p = totals["tp"] / totals["pred"] if totals["pred"] else 0.0
    rc = totals["tp"] / totals["gold"] if totals["gold"] else 0.0
    det_tp = sum(r["label"] != "none" and guess[i] != "none" for i, r in enumerate(rows))
    det_pred = sum(guess[i] != "none" for i in range(len(rows)))
    det_gold = sum(r["label"] != "none" for r in rows)
    dp = det_tp / det_pred if det_pred else 0.0
    dr = det_tp / det_gold if det_gold else 0.0
    fp_none = sum(r["label"] == "none" and guess[i] != "none" for i, r in enumerate(rows))
    print(f"{'overall (typed)':16} {totals['gold']:5} {totals['pred']:5} {totals['tp']:4} {p:9.2f} {rc:7.2f}")
    print(f"{'notice vs none':16} {det_gold:5} {det_pred:5} {det_tp:4} {dp:9.2f} {dr:7.2f}")
    print(f"hard negatives flagged: {fp_none} of {sum(r['label'] == 'none' for r in rows)}")
    confusion = Counter((r["label"], guess[i]) for i, r in enumerate(rows) if r["label"] != guess[i])
    if confusion:
        print(
            "confusions (gold -> predicted: count): "
            + ", ".join(f"{g}->{q}: {n}" for (g, q), n in confusion.most_common())
        )
    by_lang = Counter()
    for i, r in enumerate(rows):
        by_lang[(r["lang"], r["label"] == guess[i])] += 1
    langs = sorted({r["lang"] for r in rows})
    print(
        "accuracy by language: "
        + ", ".join(
            f"{lang} {by_lang[(lang, True)]}/{by_lang[(lang, True)] + by_lang[(lang, False)]}" for lang in langs
        )
    )
    return {"precision": p, "recall": rc}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--split", choices=["dev", "test", "all", "both"], default="both")
    parser.add_argument("--errors", action="store_true", help="list the misclassified items")
    parser.add_argument("--baseline", action="store_true", help="also score a line-start update/correction regex")
    args = parser.parse_args()
    splits = ["dev", "test"] if args.split == "both" else [args.split]
    for split in splits:
        rows = load(split)
        guess = {i: predict(r) for i, r in enumerate(rows)}
        report(rows, guess, f"classifier, split {split}")
        if args.baseline:
            report(rows, {i: baseline(r) for i, r in enumerate(rows)}, f"line-start regex baseline, split {split}")
        if args.errors:
            for i, r in enumerate(rows):
                if guess[i] != r["label"]:
                    print(f"  [{r['label']} -> {guess[i]}] ({r['position']}, {r['lang']}) {r['text'][:150]}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
