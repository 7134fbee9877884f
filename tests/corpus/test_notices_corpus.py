"""The notice detector on the real labelled corpus (``corpus/notices``, read in place) and inside real
article bodies (``corpus/real-feeds``): the split, the trigger's recall, the card's scores, placement.

Prints its numbers (``pytest -s``). Skips with a reason when the corpus is absent.
"""

from __future__ import annotations

from collections import Counter

import pytest

from articles.notices import corpus, find_notices
from articles.notices.cues import could_be_notice
from articles.notices.evaluate import evaluate
from articles.notices.model import load
from articles.notices.segment import segments
from tests.conftest import corpus_path

pytestmark = pytest.mark.corpus


@pytest.fixture(scope="module")
def items() -> list[corpus.Item]:
    corpus_path("notices")
    return corpus.load()


def test_split_is_by_source_and_reproducible(items: list[corpus.Item]) -> None:
    splits: dict[str, set[str]] = {}
    for item in items:
        splits.setdefault(item.source, set()).add(item.split)
    assert all(len(s) == 1 for s in splits.values())  # no source in two splits
    counts = Counter(item.split for item in items)
    print("items per split:", dict(counts), " sources:", len(splits))
    assert all(counts[name] >= 0.15 * len(items) for name in corpus.SPLITS)
    assert corpus.source_of("http://web.archive.org./web/2017/https://www.theguardian.com/news/x") == "theguardian.com"
    assert corpus.source_of("https://amp.cbc.ca/news/x") == "cbc.ca"
    assert corpus.source_of("https://www.bbc.co.uk/news") == "bbc.co.uk"
    assert corpus.split_of("theguardian.com") == corpus.split_of("theguardian.com")


def test_trigger_loses_under_one_percent_of_notices(items: list[corpus.Item]) -> None:
    lost, total = [], 0
    for item in items:
        if item.label == "none":
            continue
        start = item.text.find(item.notice)
        assert start >= 0, item.id
        end = start + len(item.notice)
        total += 1
        overlapping = [s for s in segments(item.text) if s.start < end and s.end > start]
        if not any(could_be_notice(item.text[s.start : s.end]) for s in overlapping):
            lost.append(item.id)
    print(f"trigger: {len(lost)} of {total} notices lost ({len(lost) / total:.2%}): {lost}")
    assert len(lost) < 0.01 * total


def test_the_card_tells_the_truth_about_dev_and_test(items: list[corpus.Item]) -> None:
    card = load().card
    if card["corpus_files_sha256"] != corpus.file_hashes():
        pytest.fail("the corpus changed since the model was trained: run `make train-notices`")
    for split in ("dev", "test"):
        report = evaluate([i for i in items if i.split == split])
        precision, recall, *_ = report.binary()
        scores = card["scores"][split]
        print(f"{split}: precision {precision:.3f} recall {recall:.3f} macro-F1 {report.macro_f1():.3f} "
              f"titles {report.titles()[0]:.3f}")  # fmt: skip
        assert round(precision, 4) == scores["precision"] and round(recall, 4) == scores["recall"]


def test_notices_are_found_inside_real_article_bodies(items: list[corpus.Item]) -> None:
    """Test-split notices placed at the top, the bottom and inside a paragraph of test-split real bodies."""
    corpus_path("real-feeds")
    bodies = corpus.feed_bodies("test")
    assert len(bodies) >= 50
    positives = [i for i in items if i.split == "test" and i.label != "none"]
    alone = sum(1 for i in positives if _found(find_notices("", i.text), i.text.find(i.notice), len(i.notice)))
    found: Counter[str] = Counter()
    for n, item in enumerate(positives):
        for where in corpus.PLACES:
            body = bodies[(n * 7 + corpus.PLACES.index(where)) % len(bodies)][1]
            text, start, end = corpus.place(item.notice, body, where)
            found[where] += _found(find_notices("", text), start, end - start)
    spurious = sum(1 for _name, body in bodies if find_notices("", body))
    print(f"alone: {alone}/{len(positives)}; placed: " + ", ".join(f"{w} {found[w]}" for w in corpus.PLACES)
          + f"; real bodies with a notice: {spurious}/{len(bodies)}")  # fmt: skip
    for where in corpus.PLACES:
        assert found[where] >= 0.75 * alone, where  # context costs some recall, not most of it
    # measured: 17 of 89 test-split bodies (German and Dutch prose mostly: few non-English negatives to learn
    # from); this bounds a regression, it is not a target met
    assert spurious <= 0.2 * len(bodies)


def _found(notices: list, start: int, length: int) -> bool:
    return any(n.start < start + length and n.end > start for n in notices)
