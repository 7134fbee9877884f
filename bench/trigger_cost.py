"""What each trigger cue costs and catches: the tool the trigger list (``articles/notices/cues.json``) was
pruned with.

    .venv/bin/python bench/trigger_cost.py [--prune]

Prints how many candidate segments of real article bodies (``corpus/real-feeds``; none of them a
notice) pass the trigger, and how many corpus notices it catches per split. With ``--prune`` it
drops cues greedily, each time the one whose removal stops the most train/dev-feed body segments,
as long as every train notice stays caught, and stops before the first dev notice is lost; the cues
it would drop are printed, not written (edit ``cues.json`` by hand, then ``make train-notices``).
"""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from articles.notices import corpus, cues  # noqa: E402
from articles.notices.segment import segments  # noqa: E402

Units = list[tuple[str, str]]


def units() -> Units:
    words = sorted({w for ws in cues.data()["trigger"].values() for w in ws})
    return [("word", w) for w in words] + [("pattern", p["re"]) for p in cues.data()["trigger_patterns"]]


def hits(text: str, cue_units: Units, compiled: dict[int, re.Pattern[str]]) -> frozenset[int]:
    lower = text.lower()
    return frozenset(
        i
        for i, (kind, cue) in enumerate(cue_units)
        if (cue in lower if kind == "word" else compiled[i].search(lower) is not None)
    )


def notice_sets(split: str, cue_units: Units, compiled: dict[int, re.Pattern[str]]) -> list[frozenset[int]]:
    """Per labelled notice of ``split``: the cues in any segment overlapping it."""
    out = []
    for item in corpus.load(split=split):
        if item.label == "none" or not item.notice:
            continue
        start = item.text.find(item.notice)
        end = start + len(item.notice)
        found: set[int] = set()
        for s in segments(item.text):
            if s.start < end and s.end > start:
                found |= hits(item.text[s.start : s.end], cue_units, compiled)
        out.append(frozenset(found))
    return out


def body_sets(split: str, cue_units: Units, compiled: dict[int, re.Pattern[str]]) -> list[frozenset[int]]:
    out = []
    for _name, body in corpus.feed_bodies(split):
        for s in segments(body):
            found = hits(body[s.start : s.end], cue_units, compiled)
            if found:
                out.append(found)
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--prune", action="store_true", help="print the cues a greedy pruning would drop")
    args = parser.parse_args()
    if not corpus.load():
        print(f"no corpus at {corpus.corpus_dir()} (set NEWSSTREAM_CORPUS)", file=sys.stderr)
        return 2
    cue_units = units()
    compiled = {i: re.compile(cue) for i, (kind, cue) in enumerate(cue_units) if kind == "pattern"}
    notices = {split: notice_sets(split, cue_units, compiled) for split in corpus.SPLITS}
    tuning = body_sets("train", cue_units, compiled) + body_sets("dev", cue_units, compiled)
    held_out = body_sets("test", cue_units, compiled)
    active = set(range(len(cue_units)))

    def caught(split: str) -> int:
        return sum(1 for found in notices[split] if found & active)

    def passing(bodies: list[frozenset[int]]) -> int:
        return sum(1 for found in bodies if found & active)

    def line() -> str:
        per_split = ", ".join(f"{s} {caught(s)}/{len(notices[s])}" for s in corpus.SPLITS)
        through = f"train/dev feeds {passing(tuning)}, test feeds {passing(held_out)}"
        return f"body segments through: {through}; notices {per_split}"

    print(f"{len(cue_units)} cues; {line()}")
    if not args.prune:
        return 0
    train_caught, dev_caught = caught("train"), caught("dev")
    while True:
        current, best = passing(tuning), None
        for unit in sorted(active):
            active.discard(unit)
            if caught("train") == train_caught:
                gain = current - passing(tuning)
                if gain > 0 and (best is None or gain > best[0]):
                    best = (gain, unit)
            active.add(unit)
        if best is None:
            break
        active.discard(best[1])
        if caught("dev") < dev_caught:
            active.add(best[1])
            print(f"stop: dropping {cue_units[best[1]]!r} would lose a dev notice")
            break
        print(f"drop {cue_units[best[1]]!r} (-{best[0]}): {line()}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
