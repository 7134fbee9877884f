"""detect() over real version sequences (shared corpus ``article-versions``; bodies are RSS standfirsts).

Asserts: a title edit beyond noise gives a ``headline_change``; a version that differs only by case,
quotes, punctuation or whitespace (title and body) gives nothing and is not a new version; every event
is schema-valid. Prints counts (``pytest -s``).
"""

from __future__ import annotations

import json
import re
import unicodedata
from collections import Counter

import pytest

import schemas
from consumers.detect import detect, index_article
from consumers.detector_state import ArticleState
from consumers.title_index import TitleIndex
from tests.conftest import corpus_path

pytestmark = pytest.mark.corpus

_QUOTES = re.compile(r"[\"'`´‘’‚‛“”„‟«»‹›]")
_PUNCT = re.compile(r"[^\w\s]")


def noise_free(text: str) -> str:
    """Independent of consumers.versions on purpose: case, quotes, punctuation, whitespace removed."""
    text = _QUOTES.sub("", unicodedata.normalize("NFKC", text).lower())
    return " ".join(_PUNCT.sub(" ", text).split())


def test_detect_over_real_version_sequences() -> None:
    path = corpus_path("article-versions", "versions.jsonl")
    records = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    states: dict[str, ArticleState] = {}
    accepted: dict[str, tuple[str, str]] = {}  # article id -> noise-free (title, body) of the last new version
    seen: dict[str, set[tuple[str, str]]] = {}
    titles = TitleIndex()
    counts: Counter[str] = Counter()
    by_publisher: Counter[tuple[str, str]] = Counter()
    missed: list[str] = []
    for record in records:
        article = {**record, "id": record["article_id"]}
        article_id = record["article_id"]
        text = (noise_free(record["title"]), noise_free(record["body_text"]))
        previous = states.get(article_id)
        events, state = detect(previous, article, titles=titles)
        for event in events:
            schemas.validate("correction-event", event)
            counts[event["type"]] += 1
            by_publisher[(record["publisher"], event["type"])] += 1
        kinds = {e["type"] for e in events}
        if previous is not None:
            counts["pairs"] += 1
            last = accepted[article_id]
            if text == last:
                counts["pairs: noise only"] += 1
                assert events == [], (record["title"], events)
                assert state is previous and state.version == previous.version
            elif text in seen[article_id]:
                counts["pairs: back to an earlier text"] += 1
                assert events == [] and state is previous
            elif text[0] != last[0]:
                counts["pairs: title edited"] += 1
                if "headline_change" not in kinds:
                    missed.append(f"{previous.title!r} -> {record['title']!r}")
            elif text[1] != last[1]:
                counts["pairs: body edited"] += 1
        if state is not previous:
            states[article_id] = state
            index_article(titles, article)
            accepted[article_id] = text
            seen.setdefault(article_id, set()).add(text)
    print("\narticle-versions:", dict(sorted(counts.items())))
    for (publisher, kind), n in sorted(by_publisher.items()):
        print(f"  {publisher:40} {kind:16} {n}")
    assert not missed, missed[:10]
    assert counts["pairs: noise only"] > 0 and counts["headline_change"] >= counts["pairs: title edited"]
    # standfirsts carry almost no notices (one G1 item does: "(CORREÇÃO: O G1 errou ao dizer …)"); the
    # learned detector's false alarms on them are bounded (measured: 23 corrections over 3,757 records)
    assert counts["correction"] + counts["retraction"] <= 0.01 * len(records), counts
