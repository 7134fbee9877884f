"""normalize(): seed and own fixture served as RSS items, sanitization, dates, canonical link, errors."""

from __future__ import annotations

import html
import re
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

import schemas
from consumers import boilerplate, dateline, dates
from consumers.normalize import normalize
from consumers.simhash import distance
from newsstream.errors import TransformError
from tests.conftest import corpus_path

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
CHROME = ("A+ A-", "Comments", "Post a comment", "Required", "moderates all comments", "community guidelines",
          "We will not tolerate", "Comments that do not meet")  # fmt: skip


def rss_item_feed(text: str, *, publisher: str, link: str) -> tuple[bytes, str]:
    """A seed-style text file (title, blank, date, publisher, widget, paragraphs...) as an RSS 2.0
    document with one item whose content:encoded holds the rest as HTML paragraphs."""
    lines = text.splitlines()
    title, rest = lines[0], [line for line in lines[1:] if line.strip()]
    body = "\n".join(f"<p>{html.escape(line, quote=False)}</p>" for line in rest)
    date = rest[0]
    doc = f"""<?xml version="1.0" encoding="utf-8"?>
<rss version="2.0" xmlns:content="http://purl.org/rss/1.0/modules/content/">
<channel><title>{publisher}</title><link>https://example.net/</link><language>en</language>
<item><title>{html.escape(title)}</title><link>{link}</link><guid>{link}</guid>
<pubDate>{date}</pubDate><description>{html.escape(rest[4][:120])}</description>
<content:encoded><![CDATA[{body}]]></content:encoded></item></channel></rss>"""
    return doc.encode("utf-8"), title


def via_rss(text: str, *, publisher: str, link: str) -> tuple[dict[str, Any], str]:
    from producers.parse import parse_feed

    doc, title = rss_item_feed(text, publisher=publisher, link=link)
    result = parse_feed(
        doc, url="https://example.net/rss", feed={"publisher": publisher}, fetched_at=datetime(2024, 5, 1, tzinfo=UTC)
    )
    assert len(result.articles) == 1
    return result.articles[0], title


def raw_article(**entry: Any) -> dict[str, Any]:
    base_entry: dict[str, Any] = {
        "guid": "g-1", "link": "https://news.example/a/1", "title": "A headline", "summary": None,
        "content": [], "published": None, "updated": None, "authors": [], "tags": [], "enclosures": [],
    }  # fmt: skip
    base_entry.update(entry)
    return {
        "article_id": "u:000000000000000000000001",
        "source": "feed",
        "feed": {"url": "https://news.example/rss", "title": "Example News", "publisher": None, "language": "en"},
        "fetched_at": "2024-05-01T12:00:00Z",
        "http": {"status": 200, "final_url": "https://news.example/rss", "etag": None, "last_modified": None},
        "entry": base_entry,
        "producer": {"name": "test", "version": "0"},
    }


def html_content(value: str) -> list[dict[str, Any]]:
    return [{"type": "text/html", "language": None, "value": value}]


def check_article(out: dict[str, Any], title: str, place: str, notices: tuple[str, ...]) -> None:
    schemas.validate("normalized-article", out)
    assert out["title"] == title
    assert out["dateline"] == place
    body = out["body_text"]
    paragraphs = body.split("\n\n")
    assert not paragraphs[0].startswith(place)
    assert paragraphs[0][0].isupper()
    for chrome in CHROME:
        assert not any(p == chrome or chrome in p for p in paragraphs), chrome
    for notice in notices:
        assert any(p.startswith(notice) for p in paragraphs), notice
    assert "<" not in body and "  " not in body and "\n\n\n" not in body


def test_seed_article_served_as_rss_item() -> None:
    text = corpus_path("seed", "rudaw-correction.txt").read_text(encoding="utf-8")
    raw, title = via_rss(text, publisher="Rudaw", link="https://www.rudaw.net/english/middleeast/syria/051120232")
    out = normalize(raw)
    check_article(out, "Iraqi militia claims to target US forces in Syria", "ERBIL, Kurdistan Region",
                  ("CORRECTION: This corrects a previous piece titled \"US downs Turkish drone",
                   "UPDATED at 8:35 pm with the correction"))  # fmt: skip
    assert out["body_text"].startswith("A pro-Iran Iraqi militia group on Sunday claimed")
    assert out["body_text"].endswith("UPDATED at 8:35 pm with the correction")
    assert out["published_at"] == "2023-11-05T00:00:00Z"  # 05-11-2023, day first
    assert out["publisher"] == "Rudaw"
    assert out["language"] == "en"
    assert out["id"] == raw["article_id"]


def test_own_fixture_served_as_rss_item() -> None:
    text = (FIXTURES / "harbour-correction.txt").read_text(encoding="utf-8")
    raw, title = via_rss(text, publisher="Northgate Courier", link="https://courier.example/2024/04/03/surge")
    out = normalize(raw)
    notices = ("CORRECTION: An earlier version of this story", "UPDATED at 6:10 pm with the correction")
    check_article(out, "Storm surge floods Halifax waterfront as ferry service halts", "HALIFAX, Nova Scotia", notices)
    assert out["published_at"] == "2024-04-03T00:00:00Z"
    assert out["word_count"] == len(re.findall(r"\w+", out["body_text"]))


def test_sanitization_removes_script_handlers_and_javascript_urls() -> None:
    value = (
        '<p onclick="steal()">Hello <a href="javascript:alert(1)">link</a> '
        '<img src="x.png" onerror="alert(2)"></p><script>alert(3)</script>'
        '<p><a href="https://ok.example/">fine</a></p><style>p{}</style><iframe src="https://x"></iframe>'
    )
    out = normalize(raw_article(content=html_content(value)))
    body_html = out["body_html"].lower()
    for bad in ("<script", "onclick", "onerror", "javascript:", "alert(", "<iframe", "<style"):
        assert bad not in body_html, bad
    assert 'href="https://ok.example/"' in body_html
    assert out["body_text"] == "Hello link\n\nfine"


def test_paragraph_breaks_entities_nfc_and_whitespace() -> None:
    value = (
        "<div>First&nbsp;line&amp;more<br>second   line</div><ul><li>one</li><li>two</li></ul>"
        "<h2>Head</h2><blockquote>Cafe\u0301 quote</blockquote>tail &#8220;q&#8221;"
    )
    out = normalize(raw_article(content=html_content(value)))
    assert out["body_text"] == "First line&more\n\nsecond line\n\none\n\ntwo\n\nHead\n\nCafé quote\n\ntail “q”"


def test_richest_content_wins_over_summary() -> None:
    out = normalize(raw_article(summary="<p>Short summary.</p>", content=html_content("<p>Full text. " * 20 + "</p>")))
    assert out["body_text"].startswith("Full text.")
    assert out["summary_text"] == "Short summary."
    only_summary = normalize(raw_article(summary="Plain summary &amp; more", content=[]))
    assert only_summary["body_text"] == "Plain summary & more"


@pytest.mark.parametrize(
    ("published", "fetched", "expected"),
    [
        ({"raw": "05-11-2023", "utc": "2005-11-20T00:00:00Z"}, None, "2023-11-05T00:00:00Z"),  # feedparser's misread
        ({"raw": "11-25-2023", "utc": None}, None, "2023-11-25T00:00:00Z"),  # day-first impossible
        ({"raw": "05/11/2023 8:35 pm", "utc": None}, None, "2023-11-05T20:35:00Z"),
        ({"raw": "Sun, 05 Nov 2023 20:35", "utc": None}, None, "2023-11-05T20:35:00Z"),  # no zone -> UTC
        ({"raw": "2023-11-05T20:35:00", "utc": None}, None, "2023-11-05T20:35:00Z"),
        ({"raw": "Sun, 05 Nov 2023 20:35:00 +0300", "utc": "2023-11-05T17:35:00Z"}, None, "2023-11-05T17:35:00Z"),
        ({"raw": "2023-11-05T20:35:00+03:00", "utc": None}, None, "2023-11-05T17:35:00Z"),
        ({"raw": "yesterday-ish", "utc": None}, None, "2024-05-01T12:00:00Z"),  # fallback: fetched_at
        (None, "2024-05-01T12:00:00.123456Z", "2024-05-01T12:00:00Z"),
    ],
)
def test_dates(published: dict[str, Any] | None, fetched: str | None, expected: str) -> None:
    raw = raw_article(published=published, content=html_content("<p>Body.</p>"))
    if fetched:
        raw["fetched_at"] = fetched
    out = normalize(raw)
    assert out["published_at"] == expected
    assert out["updated_at"] == expected  # no updated date: the published one
    assert out["fetched_at"] == "2024-05-01T12:00:00Z"


def test_updated_date_and_missing_fetched_at_uses_now() -> None:
    raw = raw_article(updated={"raw": None, "utc": "2024-05-02T08:00:00Z"}, content=html_content("<p>x</p>"))
    raw["fetched_at"] = None
    out = normalize(raw, now=datetime(2024, 6, 1, 1, 2, 3, tzinfo=UTC))
    assert out["fetched_at"] == "2024-06-01T01:02:03Z"
    assert out["published_at"] == "2024-06-01T01:02:03Z"
    assert out["updated_at"] == "2024-05-02T08:00:00Z"


def test_canonical_link_in_content_wins() -> None:
    value = '<link rel="canonical" href="/world/story-1?utm_source=x&b=2&a=1#top"><p>Body.</p>'
    out = normalize(raw_article(link="https://m.news.example/amp/story-1?utm_medium=rss", content=html_content(value)))
    assert out["url"] == "https://m.news.example/amp/story-1?utm_medium=rss"
    assert out["canonical_url"] == "https://m.news.example/world/story-1?a=1&b=2"
    plain = normalize(raw_article(link="HTTPS://News.Example:443/a/1?fbclid=z#c", content=html_content("<p>b</p>")))
    assert plain["canonical_url"] == "https://news.example/a/1"


def test_id_recomputed_when_absent() -> None:
    raw = raw_article(content=html_content("<p>b</p>"))
    del raw["article_id"]
    out = normalize(raw)
    assert out["id"].startswith("u:") and len(out["id"]) == 26


def test_no_title_and_no_body_is_a_transform_error() -> None:
    with pytest.raises(TransformError, match="neither a title nor any body"):
        normalize(raw_article(title=None, summary=None, content=[]))
    with pytest.raises(TransformError):
        normalize({"feed": {}})
    with pytest.raises(TransformError):
        normalize([])  # type: ignore[arg-type]


def test_language_from_entry_then_feed_else_null() -> None:
    assert normalize(raw_article(language="pt-BR", content=html_content("<p>x</p>")))["language"] == "pt-BR"
    assert normalize(raw_article(content=html_content("<p>x</p>")))["language"] == "en"
    raw = raw_article(content=html_content("<p>x</p>"))
    raw["feed"]["language"] = None
    assert normalize(raw)["language"] is None


def test_hashes_and_simhash() -> None:
    body = "<p>" + " ".join(f"word{i}" for i in range(300)) + "</p>"
    edited = body.replace("word7 ", "changed ")
    a = normalize(raw_article(content=html_content(body)))
    b = normalize(raw_article(content=html_content(edited)))
    c = normalize(raw_article(content=html_content("<p>Completely different text about something else.</p>")))
    assert a["content_hash"] != b["content_hash"]
    assert distance(a["simhash"], b["simhash"]) <= 3
    assert distance(a["simhash"], c["simhash"]) > 10
    assert normalize(raw_article(content=html_content(body)))["simhash"] == a["simhash"]


@pytest.mark.parametrize(
    ("paragraph", "place", "rest"),
    [
        ("ERBIL, Kurdistan Region - A pro-Iran group", "ERBIL, Kurdistan Region", "A pro-Iran group"),
        ("WASHINGTON (AP) — The Senate voted", "WASHINGTON (AP)", "The Senate voted"),
        ("LONDON, Nov 5 (Reuters) - Britain's", "LONDON, Nov 5 (Reuters)", "Britain's"),
        ("SÃO PAULO — Chuvas", "SÃO PAULO", "Chuvas"),
        ("US - China talks resumed", None, "US - China talks resumed"),
        ("NATO - the alliance said", None, "NATO - the alliance said"),
        ("The mayor - who spoke", None, "The mayor - who spoke"),
    ],
)
def test_dateline(paragraph: str, place: str | None, rest: str) -> None:
    assert dateline.split(paragraph) == (place, rest)


def test_boilerplate_keeps_notices_and_news_sentences() -> None:
    paras = [
        "Share this article", "First real paragraph of the story that is long enough to count.",
        "His comments were rejected by the opposition.", "Editor's note: names were changed.",
        "Read more", "Sign up for our newsletter", "Comments", "Correction: the date was wrong.", "Post a comment",
    ]  # fmt: skip
    assert boilerplate.clean(paras) == [
        "First real paragraph of the story that is long enough to count.",
        "His comments were rejected by the opposition.",
        "Editor's note: names were changed.",
        "Correction: the date was wrong.",
    ]


def test_dates_parse_rejects_garbage() -> None:
    assert dates.parse("31-02-2023") is None
    assert dates.parse("") is None
    assert dates.parse("0001-01-01") is None


def test_body_html_resolves_relative_urls_and_keeps_only_web_and_mail_schemes() -> None:
    from consumers.normalize import sanitize_html

    html = (
        '<p><a href="/story/2">next</a> <img src="/logout"> <a href="tel:123">call</a>'
        ' <a href="mailto:a@b.org">m</a></p>'
    )
    clean = sanitize_html(html, "https://news.example.org/story/1")
    assert 'href="https://news.example.org/story/2"' in clean
    assert 'src="https://news.example.org/logout"' in clean, "a relative src must not point at the embedding site"
    assert "tel:" not in clean and 'href="mailto:a@b.org"' in clean
    assert "src=" not in sanitize_html('<img src="/logout">', None), "without a base, relative URLs are dropped"
