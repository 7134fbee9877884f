"""Entry identity: own permalink over another site's link, anchor fragments, repeats in one
document, and the feed-tracking parameters canonical URLs drop (issue 12)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from newsstream.canonical_url import article_id, canonical_url
from producers.identity import identity, site_of
from producers.parse import parse_feed

FETCHED = datetime(2024, 5, 1, tzinfo=UTC)


def test_own_permalink_preferred_over_a_link_to_another_site() -> None:
    url, keep = identity(
        "http://mnml.af/",
        "tag:daringfireball.net,2017:/linked//6.33844",
        links=["http://mnml.af/", "https://daringfireball.net/linked/2017/06/26/mnml"],
        site="https://daringfireball.net/",
    )
    assert (url, keep) == ("https://daringfireball.net/linked/2017/06/26/mnml", False)
    # a guid that is a URL on the feed's site counts too; an aggregator's link stays
    assert identity("http://feedproxy.google.com/~r/x/1", "http://cre.fm/cre185", site="http://cre.fm")[0] == (
        "http://cre.fm/cre185"
    )
    assert identity("https://www.rtbf.be/info/a", "CBMi123", site="https://news.google.com")[0] == (
        "https://www.rtbf.be/info/a"
    )


def test_anchor_fragment_kept_only_when_the_guid_uses_it() -> None:
    post = "http://scripting.com/2017/06/26.html#a080605"
    assert identity(post, post) == (post, True)
    assert identity("https://x.example/story#comments", "https://x.example/story#comments")[1] is False
    ndtv = "https://www.ndtv.com/world-news/story-11051469#publisher=newsstand"
    assert identity(ndtv, ndtv)[1] is False
    assert identity("https://x.example/story#part-2", "urn:x:1")[1] is False
    assert article_id(post, keep_fragment=True) != article_id(
        "http://scripting.com/2017/06/26.html#a030658", keep_fragment=True
    )
    assert article_id(post) == article_id("http://scripting.com/2017/06/26.html")


def test_site_of() -> None:
    assert site_of("https://news.bbc.co.uk/a") == "bbc.co.uk"
    assert site_of("https://www.dw.com/en/a") == "dw.com"
    assert site_of("tag:x") is None


RSS = """<?xml version="1.0"?><rss version="2.0"><channel><title>S</title><link>http://scripting.com/</link>
<item><description>Good morning</description><pubDate>Sun, 25 Jun 2017 12:27:31 GMT</pubDate>
<link>http://scripting.com/2017/06/25.html#a080631</link><guid>http://scripting.com/2017/06/25.html#a080631</guid></item>
<item><description>Dropbox could be king</description><pubDate>Sun, 25 Jun 2017 12:32:31 GMT</pubDate>
<link>http://scripting.com/2017/06/25.html#a080631</link><guid>http://scripting.com/2017/06/25.html#a080631</guid></item>
<item><description>Another post</description><link>http://scripting.com/2017/06/25.html#a090000</link>
<guid>http://scripting.com/2017/06/25.html#a090000</guid></item>
</channel></rss>"""


def test_entries_of_one_document_never_share_an_id() -> None:
    result = parse_feed(RSS.encode(), url="http://scripting.com/rss.xml", fetched_at=FETCHED)
    ids = [a["article_id"] for a in result.articles]
    assert len(ids) == 3 and len(set(ids)) == 3
    again = parse_feed(RSS.encode(), url="http://scripting.com/rss.xml", fetched_at=FETCHED)
    assert [a["article_id"] for a in again.articles] == ids  # deterministic across polls


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("https://www.dw.com/en/a-75995188?maca=en-rss-en-all-1573-rdf", "https://www.dw.com/en/a-75995188"),
        (
            "http://www.nytimes.com/2017/01/06/us/x.html?emc=rss&partner=rss",
            "http://www.nytimes.com/2017/01/06/us/x.html",
        ),
        ("https://www.aljazeera.com/news/x?traffic_source=rss", "https://www.aljazeera.com/news/x"),
        ("http://derstandard.at/2000049985169/Arabisch?ref=rss", "http://derstandard.at/2000049985169/Arabisch"),
        ("https://www.medscape.com/viewarticle/x?src=rss", "https://www.medscape.com/viewarticle/x"),
        (
            "http://www.heise.de/developer/x.html?wt_mc=rss.developer.beitrag.atom",
            "http://www.heise.de/developer/x.html",
        ),
        ("https://medium.com/invironment/x?source=rss----d12c403d4976--food", "https://medium.com/invironment/x"),
        # the same names with a value that is not a feed tag identify the page: kept
        ("https://shop.example/item?ref=12345", "https://shop.example/item?ref=12345"),
        ("https://news.example/list?source=reuters&page=2", "https://news.example/list?page=2&source=reuters"),
        ("https://news.ycombinator.com/item?id=30934529", "https://news.ycombinator.com/item?id=30934529"),
    ],
)
def test_feed_tracking_parameters(url: str, expected: str) -> None:
    assert canonical_url(url) == expected
