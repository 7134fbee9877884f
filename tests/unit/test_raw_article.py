"""The canonical URL is computed once, by the producer, and carried in the RawArticle (issue 13)."""

from __future__ import annotations

import copy
from typing import Any

import schemas
from consumers.normalize import normalize
from newsstream.canonical_url import article_id, canonical_url
from producers.raw_article import build_article

LINK = "https://News.Example.org/a/1?utm_source=rss&b=2&a=1#top"


def raw(link: str | None = LINK, **entry: Any) -> dict[str, Any]:
    article = build_article(
        guid="g-1",
        link=link,
        title="Council approves budget",
        summary=None,
        content=[{"type": "text/html", "language": None, "value": "<p>The council approved it.</p>"}],
        published=None,
        updated=None,
        authors=[],
        tags=[],
        enclosures=[],
        language=None,
        feed_url="https://news.example.org/feed",
        feed={"url": "https://news.example.org/feed", "title": "News", "publisher": "News"},
        fetched_at="2026-11-25T08:00:00.123Z",
        http={"status": 200, "final_url": "https://news.example.org/feed", "etag": None, "last_modified": None},
        producer={"name": "test", "version": "0"},
    )
    assert article is not None
    article["entry"].update(entry)
    return article


def test_the_producer_carries_the_links_canonical_form_and_the_id_rests_on_it() -> None:
    article = raw()
    assert article["entry"]["canonical_url"] == canonical_url(LINK) == "https://news.example.org/a/1?a=1&b=2"
    assert article["article_id"] == article_id(LINK)
    schemas.validate("raw-article", article)


def test_no_canonical_url_without_an_http_link() -> None:
    assert "canonical_url" not in raw(link=None)["entry"]
    assert "canonical_url" not in raw(link="urn:uuid:1")["entry"]


def test_the_normalizer_uses_the_carried_canonical_url_and_computes_it_without_one() -> None:
    article = raw()
    assert normalize(article)["canonical_url"] == canonical_url(LINK)
    carried = raw(canonical_url="https://carried.example/a/1")
    assert normalize(carried)["canonical_url"] == "https://carried.example/a/1"  # not computed again
    old = copy.deepcopy(article)
    del old["entry"]["canonical_url"]  # a RawArticle from an older producer
    schemas.validate("raw-article", old)
    assert normalize(old) == normalize(article)


def test_a_canonical_link_in_the_content_still_wins() -> None:
    content = '<link rel="canonical" href="https://news.example.org/story"><p>The council approved it.</p>'
    article = raw(content=[{"type": "text/html", "language": None, "value": content}])
    assert normalize(article)["canonical_url"] == "https://news.example.org/story"
