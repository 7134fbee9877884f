"""normalize() on real feed content: a whole page as content, form-wrapped bodies, link-dense
blocks, labelled time stamps, byline and date lines before the dateline (issue 12)."""

from __future__ import annotations

import html
from typing import Any

import schemas
from articles.notices import find_notices
from consumers.normalize import normalize
from tests.conftest import corpus_path

SEED_URL = "https://www.rudaw.net/english/middleeast/syria/05112023"
CHROME = ("A+ A-", "Comments", "Post a comment", "Required", "moderates all comments", "community guidelines")


def raw(value: str, *, title: str = "A headline", authors: list[str] | None = None, **entry: Any) -> dict[str, Any]:
    return {
        "source": "feed",
        "feed": {"url": "https://news.example/rss", "title": "Example News", "publisher": None, "language": "en"},
        "fetched_at": "2024-05-01T12:00:00Z",
        "http": {"status": 200, "final_url": "https://news.example/rss", "etag": None, "last_modified": None},
        "entry": {
            "guid": "g-1",
            "link": "https://news.example/a/1",
            "title": title,
            "summary": None,
            "content": [{"type": "text/html", "language": None, "value": value}],
            "published": None,
            "updated": None,
            "authors": authors or [],
            "tags": [],
            "enclosures": [],
            **entry,
        },  # fmt: skip
        "producer": {"name": "test", "version": "0"},
    }


def seed_page(text: str) -> tuple[str, str]:
    """The seed as the page it came from, in its order: headline, date, outlet, font widget,
    paragraphs, notices, the comment section and its form, inside site chrome."""
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    title, rest = lines[0], lines[1:]
    comments = rest.index("Comments")
    article = "".join(f"<p>{html.escape(line)}</p>" for line in rest[:comments])
    thread = "".join(f"<p>{html.escape(line)}</p>" for line in rest[comments + 1 :])
    nav = "".join(f'<li><a href="/english/{s}">{s.title()}</a></li>' for s in ("kurdistan", "iraq", "middle east"))
    page = (
        f"<!doctype html><html><head><title>{html.escape(title)} | Rudaw.net</title></head><body>"
        f"<header><nav><ul>{nav}</ul></nav></header><main><article><h1>{html.escape(title)}</h1>{article}"
        f'</article><section class="comments"><h3>Comments</h3>{thread}<form><textarea></textarea>'
        f"<label>Required</label><button>Post a comment</button></form></section></main>"
        f"<footer><ul>{nav}</ul><p>Copyright Rudaw 2023</p></footer></body></html>"
    )
    return page, title


def test_seed_as_whole_page_content_normalizes_exactly() -> None:
    page, title = seed_page(corpus_path("seed", "rudaw-correction.txt").read_text(encoding="utf-8"))
    published = {"raw": "2023-11-05T14:10:00+03:00", "utc": "2023-11-05T11:10:00Z"}
    out = normalize(raw(page, title=title, authors=["Rudaw"], link=SEED_URL, published=published))
    schemas.validate("normalized-article", out)
    assert out["title"] == "Iraqi militia claims to target US forces in Syria"
    assert out["dateline"] == "ERBIL, Kurdistan Region"
    assert out["published_at"] == "2023-11-05T11:10:00Z"
    body = out["body_text"]
    paragraphs = body.split("\n\n")
    assert paragraphs[0].startswith("A pro-Iran Iraqi militia group on Sunday claimed")
    assert paragraphs[-1] == "UPDATED at 8:35 pm with the correction"
    assert paragraphs[-2].startswith('CORRECTION: This corrects a previous piece titled "US downs Turkish drone')
    for chrome in (*CHROME, "Copyright", "05-11-2023"):
        assert not any(chrome in p for p in paragraphs), chrome
    assert not {"Kurdistan", "Iraq", "Middle East", "Rudaw"} & set(paragraphs)
    kinds = {n.kind for n in find_notices(out["title"], body)}
    assert {"correction", "update"} <= kinds
    assert "<nav" not in out["body_html"] and "A pro-Iran" in out["body_html"]


PROSE = "<p>The council voted nine to four on Tuesday to approve the harbour bridge toll after a long debate.</p>"


def test_form_wrapped_content_keeps_its_text_without_the_controls() -> None:
    out = normalize(raw(f"<form action='/x'>{PROSE}<input name='q' value='search'><button>Go</button></form>"))
    assert out["body_text"].startswith("The council voted nine to four")
    assert "Go" not in out["body_text"].split()


def test_link_dense_blocks_are_dropped() -> None:
    related = "".join(f'<li><a href="/r/{i}">Another headline number {i}</a></li>' for i in range(5))
    inline = '<p>See the <a href="https://council.example/report">full council report</a> for details.</p>'
    out = normalize(raw(PROSE + inline + f"<ul>{related}</ul>"))
    assert out["body_text"].split("\n\n") == [
        "The council voted nine to four on Tuesday to approve the harbour bridge toll after a long debate.",
        "See the full council report for details.",
    ]


def test_labelled_time_stamps_are_chrome_not_notices() -> None:
    stamps = ["Updated 5:27 am CST, Wednesday November 20, 2019", "Published 16m ago", "updated: 3:26 pm IST"]
    value = "".join(f"<p>{s}</p>" for s in stamps) + PROSE + "<p>UPDATED at 8:35 pm with the correction</p>"
    out = normalize(raw(value))
    assert out["body_text"].split("\n\n")[0].startswith("The council voted")
    assert not any(s in out["body_text"] for s in stamps)
    assert [n.kind for n in find_notices(out["title"], out["body_text"])] == ["update"]


def test_byline_and_date_lines_before_the_dateline() -> None:
    value = "<p>05-11-2023</p><p>By Ana Reyes</p><p>LONDON - The council voted nine to four on Tuesday.</p>"
    out = normalize(raw(value, authors=["Ana Reyes"]))
    assert out["dateline"] == "LONDON"
    assert out["body_text"] == "The council voted nine to four on Tuesday."


def test_notice_in_an_aside_of_feed_content_is_kept() -> None:
    notice = "Correction: An earlier version of this story misstated the vote count."
    out = normalize(raw(PROSE + f"<aside><p>{notice}</p></aside><aside><p>Sponsored links</p></aside>"))
    assert out["body_text"].endswith(notice)
    assert "Sponsored" not in out["body_text"]
