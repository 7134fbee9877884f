"""``newsstream extract``: one page through the pages producer's extraction, printed, no Kafka."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from newsstream.cli import main

NOTICE = "Correction: An earlier version of this article misstated the number of votes in favour."
PAGE = (
    "<html><head><title>Council backs toll | Gazette</title>"
    '<script type="application/ld+json">{"@type": "NewsArticle", "headline": "Council backs toll",'
    ' "datePublished": "2023-11-05T14:10:00+03:00", "author": {"name": "Ana Reyes"}, "inLanguage": "en"}</script>'
    "</head><body><nav><a href='/'>Home</a></nav><article><h1>Council backs toll</h1>"
    + "".join(
        f"<p>Paragraph {i} of the council story says the harbour bridge toll passed after a long debate, "
        f"with {i} amendments rejected and a final vote of nine to four.</p>"
        for i in range(6)
    )
    + f"</article><aside class='note'><p>{NOTICE}</p></aside></body></html>"
)


def test_extract_json(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    page = tmp_path / "page.html"
    page.write_text(PAGE, encoding="utf-8")
    assert main(["extract", str(page), "--url", "https://gazette.example/toll", "--json"]) == 0
    result = json.loads(capsys.readouterr().out)
    assert result["title"] == "Council backs toll"
    assert result["published_at"] == "2023-11-05T11:10:00Z"
    assert result["authors"] == ["Ana Reyes"] and result["language"] == "en"
    assert result["body_text"].startswith("Paragraph 0") and result["body_text"].endswith(NOTICE)
    assert result["rescued"] == [NOTICE]
    [notice] = result["notices"]
    assert notice["kind"] == "correction"
    assert result["body_text"][notice["start"] : notice["end"]] == notice["text"]


def test_extract_text_and_no_main_text(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    page = tmp_path / "page.html"
    page.write_text(PAGE, encoding="utf-8")
    assert main(["extract", str(page)]) == 0
    out = capsys.readouterr().out
    assert out.startswith("title: Council backs toll") and "notices: 1" in out
    empty = tmp_path / "empty.html"
    empty.write_text("<html><body><script>var x = 1;</script></body></html>", encoding="utf-8")
    assert main(["extract", str(empty)]) == 4
