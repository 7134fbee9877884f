"""Notices survive extraction: real notices put into every benchmark page in four positions.

Each page of ``article-extraction`` whose article the extractor finds gets, one at a time, a real
notice from ``notices/`` (read in place, English, one the detector finds on its own) placed: after
the last paragraph; in a ``<div class="correction">`` after the body's container; in an ``<aside>``
after it; and an "Update: …" line before the first paragraph. The notice must be in ``body_text``
on at least 99 % of the pages, per position. (Whether the detector then finds it among the body's
paragraphs is the detector's recall, measured by its own evaluation; the pool holds only notices it
finds standing alone, which is what the rescue of blocks outside the body relies on.)
"""

from __future__ import annotations

import gzip
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from lxml import html as lxml_html
from trafilatura.utils import load_html

from articles.extract import extract
from articles.notices import find_notices
from articles.text import compare_key
from tests.conftest import corpus_path

pytestmark = pytest.mark.corpus

BLOCKS = ("p", "div", "li", "blockquote", "section", "td", "h2", "h3", "h4")
SURVIVAL = 0.99


def _notices(folder: Path) -> tuple[list[str], list[str]]:
    """(update lines, other notices): real English notices of at most 300 characters that the
    detector finds standing alone (so a miss below is extraction's, not detection's)."""
    updates: list[str] = []
    others: list[str] = []
    for path in sorted(folder.glob("en-*.jsonl")):
        for line in path.read_text(encoding="utf-8").splitlines():
            item = json.loads(line)
            text = " ".join((item.get("notice") or "").split())
            if not text or len(text) > 300 or not find_notices("", text):
                continue
            if item["label"] == "update" and text.lower().startswith("update"):
                updates.append(text)
            elif item["label"] in ("correction", "clarification", "editors_note", "retraction"):
                others.append(text)
    return updates, others


def _element_of(tree: Any, paragraph: str) -> Any:
    """The block element whose own text holds the start of ``paragraph`` (not a link's: a teaser
    of the same story elsewhere on the page is not the body)."""
    head = " ".join(paragraph.split()[:6])
    for node in tree.iter(*BLOCKS):
        if node.xpath("ancestor::a"):
            continue
        if head in " ".join((node.text_content() or "").split()[:40]):
            deepest = node
            for child in node.iter(*BLOCKS):
                if head in " ".join((child.text_content() or "").split()[:40]):
                    deepest = child
            return deepest
    return None


def _fragment(markup: str) -> Any:
    return lxml_html.fragment_fromstring(markup)


def _after_last(first: Any, last: Any, notice: str) -> None:
    last.addnext(_fragment(f"<p>{notice}</p>"))


def _div_after_body(first: Any, last: Any, notice: str) -> None:
    container = last.getparent() if last.getparent() is not None else last
    container.addnext(_fragment(f'<div class="correction"><p>{notice}</p></div>'))


def _aside(first: Any, last: Any, notice: str) -> None:
    container = last.getparent() if last.getparent() is not None else last
    container.addnext(_fragment(f'<aside class="editor-note"><p>{notice}</p></aside>'))


def _update_before(first: Any, last: Any, notice: str) -> None:
    first.addprevious(_fragment(f"<p>{notice}</p>"))


POSITIONS: dict[str, Callable[[Any, Any, str], None]] = {
    "after the last paragraph": _after_last,
    'div class="correction" after the body': _div_after_body,
    "aside after the body": _aside,
    '"Update:" line before the first paragraph': _update_before,
}


def _survives(page: str, url: str, notice: str) -> bool:
    content = extract(page, url)
    if content is None:
        return False
    return compare_key(notice) in compare_key("\n\n".join(content.paragraphs))


def test_notices_survive_in_four_positions() -> None:
    folder = corpus_path("article-extraction")
    updates, others = _notices(corpus_path("notices"))
    assert len(updates) >= 10 and len(others) >= 20, "too few real notices to test with"
    truth = json.loads((folder / "ground-truth.json").read_text(encoding="utf-8"))
    survived = dict.fromkeys(POSITIONS, 0)
    pages = 0
    lost: dict[str, list[str]] = {name: [] for name in POSITIONS}
    for index, sha in enumerate(sorted(truth)):
        with gzip.open(folder / "html" / f"{sha}.html.gz", "rb") as f:
            page = f.read().decode("utf-8", errors="replace")
        url = truth[sha]["url"]
        base = extract(page, url)
        if base is None:
            continue
        tree = load_html(page)
        first, last = _element_of(tree, base.paragraphs[0]), _element_of(tree, base.paragraphs[-1])
        if first is None or last is None:
            continue  # the extracted text is not in one element (a table cell run, <br> lines)
        pages += 1
        for offset, (name, place) in enumerate(POSITIONS.items()):
            pool = updates if name.startswith('"Update') else others
            notice = pool[(index * 4 + offset) % len(pool)]
            copy = load_html(page)
            copy_first, copy_last = _element_of(copy, base.paragraphs[0]), _element_of(copy, base.paragraphs[-1])
            place(copy_first, copy_last, notice)
            if _survives(lxml_html.tostring(copy, encoding="unicode"), url, notice):
                survived[name] += 1
            else:
                lost[name].append(sha[:12])
    assert pages >= 150, f"only {pages} benchmark pages could take a notice"
    rates = {name: survived[name] / pages for name in POSITIONS}
    print({name: f"{rate:.3f}" for name, rate in rates.items()}, "pages", pages)
    for name, rate in rates.items():
        assert rate >= SURVIVAL, f"{name}: {rate:.3f} of {pages} pages (lost on {lost[name][:10]})"
