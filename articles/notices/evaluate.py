"""Item-level quality of the detector on labelled JSONL in the corpus format (pure; no I/O but reading).

Per item, ``find_notices("", text)`` runs; a notice *matches* when its span overlaps the labelled
``notice`` span. A labelled notice is found (binary true positive) when some notice matches; its
predicted type is that of the best-scoring matching notice. An item labelled ``none`` with any notice is
a false positive. Notices elsewhere in a positive item are not counted against it (the corpus labels
one notice per item). Referenced-title accuracy: over found items whose label names a title, the
share whose extracted title equals it modulo case, quotes and punctuation.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field

from articles.notices.corpus import Item
from articles.notices.find import TYPES, find_notices
from articles.notices.model import Model
from articles.text import compare_key

LABELS = ("none", *TYPES)


@dataclass
class Outcome:
    """What the detector said about one item."""

    item: Item
    predicted: str  # a type, or "none"
    score: float
    title: str | None
    found: bool  # a notice overlaps the labelled span (positives) / any notice (negatives)


@dataclass
class Report:
    """Counts and scores over a set of items."""

    outcomes: list[Outcome] = field(default_factory=list)

    @property
    def confusion(self) -> Counter[tuple[str, str]]:
        return Counter((o.item.label, o.predicted) for o in self.outcomes)

    def binary(self) -> tuple[float, float, int, int, int]:
        """``(precision, recall, tp, fp, fn)`` of notice vs none."""
        tp = sum(1 for o in self.outcomes if o.item.label != "none" and o.found)
        fn = sum(1 for o in self.outcomes if o.item.label != "none" and not o.found)
        fp = sum(1 for o in self.outcomes if o.item.label == "none" and o.found)
        return _ratio(tp, tp + fp), _ratio(tp, tp + fn), tp, fp, fn

    def per_type(self) -> dict[str, tuple[float, float, float, int]]:
        """Type -> ``(precision, recall, F1, support)``."""
        confusion = self.confusion
        out = {}
        for kind in TYPES:
            tp = confusion[(kind, kind)]
            predicted = sum(n for (_gold, pred), n in confusion.items() if pred == kind)
            support = sum(n for (gold, _pred), n in confusion.items() if gold == kind)
            p, r = _ratio(tp, predicted), _ratio(tp, support)
            out[kind] = (p, r, _ratio(2 * p * r, p + r), support)
        return out

    def macro_f1(self) -> float:
        """Mean F1 over the types that have support."""
        scores = [f1 for _p, _r, f1, support in self.per_type().values() if support]
        return sum(scores) / len(scores) if scores else 0.0

    def titles(self, *, found_only: bool = False) -> tuple[float, int, int]:
        """``(exact-match accuracy, correct, labelled)`` over positives that name a title (with ``found_only``:
        over those whose notice was found, i.e. the extraction alone)."""
        labelled = [o for o in self.outcomes if o.item.label != "none" and o.item.referenced_title]
        if found_only:
            labelled = [o for o in labelled if o.found]
        correct = sum(1 for o in labelled if o.title and compare_key(o.title) == compare_key(o.item.referenced_title))
        return _ratio(correct, len(labelled)), correct, len(labelled)

    def errors(self) -> list[Outcome]:
        """Items whose predicted type differs from the label, or whose title was missed."""
        return [o for o in self.outcomes if o.predicted != o.item.label]


def _ratio(a: float, b: float) -> float:
    return a / b if b else 0.0


def judge(
    item: Item, *, threshold: float | None = None, model: Model | None = None, rule_threshold: float | None = None
) -> Outcome:
    """Run the detector on one item and compare with its label."""
    notices = find_notices("", item.text, threshold=threshold, model=model, rule_threshold=rule_threshold)
    if item.label == "none" or not item.notice:
        best = max(notices, key=lambda n: n.score, default=None)
        if best is None:
            return Outcome(item, "none", 0.0, None, False)
        return Outcome(item, best.kind, best.score, best.referenced_title, True)
    start = item.text.find(item.notice)
    end = start + len(item.notice)
    matching = [n for n in notices if n.start < end and n.end > start] if start >= 0 else notices
    best = max(matching, key=lambda n: n.score, default=None)
    if best is None:
        return Outcome(item, "none", 0.0, None, False)
    title = best.referenced_title or _title_elsewhere(notices, item.text, start)
    return Outcome(item, best.kind, best.score, title, True)


def _title_elsewhere(notices: list, text: str, start: int) -> str | None:
    """A title named by another notice of the item (a column heading before the notice)."""
    return next((n.referenced_title for n in notices if n.referenced_title), None)


def evaluate(
    items: Iterable[Item],
    *,
    threshold: float | None = None,
    model: Model | None = None,
    rule_threshold: float | None = None,
) -> Report:
    """Judge every item."""
    return Report([judge(item, threshold=threshold, model=model, rule_threshold=rule_threshold) for item in items])


def render(report: Report, name: str = "") -> str:
    """The report as text: binary P/R, per-type P/R/F1, macro-F1, titles, confusion matrix."""
    p, r, tp, fp, fn = report.binary()
    lines = [
        f"{name}items: {len(report.outcomes)}  notice precision {p:.3f}  recall {r:.3f}  (tp {tp}, fp {fp}, fn {fn})"
    ]
    lines.append(f"{'type':16} {'P':>6} {'R':>6} {'F1':>6} {'n':>5}")
    for kind, (tp_, rp, f1, support) in report.per_type().items():
        lines.append(f"{kind:16} {tp_:6.3f} {rp:6.3f} {f1:6.3f} {support:5d}")
    acc, correct, labelled = report.titles()
    f_acc, f_correct, f_labelled = report.titles(found_only=True)
    lines.append(f"type macro-F1 {report.macro_f1():.3f}   referenced title exact {acc:.3f} ({correct}/{labelled}); "
                 f"of found notices {f_acc:.3f} ({f_correct}/{f_labelled})")  # fmt: skip
    confusion = report.confusion
    short = {k: k[:6] for k in LABELS}
    lines.append("confusion (rows: label, columns: predicted)")
    lines.append(" " * 16 + "".join(f"{short[k]:>7}" for k in LABELS))
    for gold in LABELS:
        lines.append(f"{gold:16}" + "".join(f"{confusion[(gold, pred)]:7d}" for pred in LABELS))
    return "\n".join(lines)
