"""Every file of the shared corpus goes through the preview path (``preview_bytes``: the registry's
producer, guessed type) without an uncaught exception: its entries come out schema-valid, or the
document is counted under a named outcome."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest

import schemas
from newsstream.cli.preview import preview_bytes
from tests.conftest import corpus_path

pytestmark = pytest.mark.corpus

OUTCOMES = {"ok", "parse_error"}
#: Files of real-feeds/ that are not feeds (the corpus's own documentation); they must come out as
#: parse_error with no articles.
REAL_FEEDS_NOT_FEEDS = {"README.md", "manifest.tsv", "LICENSE"}


def _run(root: Path) -> tuple[Counter[str], dict[str, int], list[str]]:
    outcomes: Counter[str] = Counter()
    articles: dict[str, int] = {}
    invalid: list[str] = []
    for path in sorted(p for p in root.rglob("*") if p.is_file()):
        preview = preview_bytes(path.read_bytes(), str(path))
        assert preview.outcome in OUTCOMES, (path, preview.outcome)
        outcomes[preview.outcome] += 1
        articles[str(path.relative_to(root))] = len(preview.articles)
        for article in preview.articles:
            if not schemas.is_valid("raw-article", article):
                try:
                    schemas.validate("raw-article", article)
                except schemas.InvalidMessage as exc:
                    invalid.append(f"{path.name}: {exc}")
    return outcomes, articles, invalid


def test_feedparser_tests_corpus() -> None:
    root = corpus_path("feedparser-tests")
    outcomes, articles, invalid = _run(root)
    assert invalid == []
    assert sum(outcomes.values()) >= 2000
    # Most of feedparser's own tests are well-formed documents about one element; many have no
    # entries (feed-level tests) and some are deliberately not feeds at all.
    assert outcomes["ok"] >= 1700, outcomes
    # Most entries there carry neither link nor guid (they test one element); those are counted as
    # skipped (no identity to key them on). Of the rest, those with neither title nor text are counted
    # as bad (the normalizer could only dead-letter them); every other one must come out.
    bad = sum(preview_bytes(p.read_bytes(), str(p)).entries_bad for p in sorted(root.rglob("*")) if p.is_file())
    assert sum(articles.values()) >= 30 and bad > 0
    assert sum(articles.values()) + bad >= 100


def test_real_feeds_corpus_every_feed_yields_articles() -> None:
    root = corpus_path("real-feeds")
    outcomes, articles, invalid = _run(root)
    assert invalid == []
    empty = {name for name, count in articles.items() if count == 0}
    assert empty <= REAL_FEEDS_NOT_FEEDS, sorted(empty - REAL_FEEDS_NOT_FEEDS)
    feeds = [name for name in articles if name not in REAL_FEEDS_NOT_FEEDS]
    assert len(feeds) >= 115
    assert outcomes["parse_error"] == len(set(articles) & REAL_FEEDS_NOT_FEEDS)
    assert sum(articles.values()) >= 2000


def test_real_feeds_json_feeds_go_through_the_json_producer() -> None:
    root = corpus_path("real-feeds")
    for path in sorted(root.glob("*.json")):
        preview = preview_bytes(path.read_bytes(), str(path))
        assert (preview.type, preview.outcome) == ("jsonfeed", "ok"), path.name
        assert preview.articles and all(a["producer"]["name"] == "jsonfeed" for a in preview.articles)
