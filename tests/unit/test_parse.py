"""parse_feed / parse_json_feed on small fixtures: RSS 2.0, Atom, RDF, JSON Feed; fingerprints."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import orjson
import pytest

import schemas
from newsstream.canonical_url import article_id
from producers.feeds import FeedConfig
from producers.fingerprint import fingerprint, utc_string
from producers.jsonfeed import parse_json_feed
from producers.parse import parse_feed

FETCHED = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)
FEED = FeedConfig(url="https://news.example/rss", name="Example World", publisher="Example News", tags=("world",))
HTTP = {"status": 200, "final_url": "https://news.example/rss", "etag": '"v1"', "last_modified": None}

RSS = b"""<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0" xmlns:content="http://purl.org/rss/1.0/modules/content/" xmlns:dc="http://purl.org/dc/elements/1.1/">
<channel><title>Example World</title><link>https://news.example/</link><language>en-gb</language><ttl>15</ttl>
<item>
  <title>Drone downed in northeast Syria</title>
  <link>https://news.example/world/drone?utm_source=rss</link>
  <guid isPermaLink="false">story-1</guid>
  <description>Short summary.</description>
  <content:encoded><![CDATA[<p>Full <b>body</b> text.</p>]]></content:encoded>
  <pubDate>Sun, 05 Nov 2023 14:30:00 +0300</pubDate>
  <dc:creator>Jane Reporter</dc:creator>
  <category>Middle East</category><category>Syria</category>
  <enclosure url="https://news.example/img.jpg" type="image/jpeg" length="1234"/>
</item>
<item><title>Relative link</title><link>/world/relative</link></item>
<item><title>No identity at all</title><description>nothing to key on</description></item>
</channel></rss>"""

ATOM = b"""<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom" xml:lang="de">
  <title>Atom Example</title><id>urn:feed</id><updated>2024-02-01T10:00:00Z</updated>
  <entry>
    <title type="html">Erste &lt;em&gt;Meldung&lt;/em&gt;</title>
    <id>tag:example.org,2024:1</id>
    <link rel="alternate" href="https://atom.example/1"/>
    <published>2024-02-01T09:00:00+01:00</published><updated>2024-02-01T10:00:00Z</updated>
    <author><name>Erika Muster</name></author>
    <summary>Zusammenfassung</summary>
    <content type="xhtml"><div xmlns="http://www.w3.org/1999/xhtml"><p>Text</p></div></content>
  </entry>
</feed>"""

RDF = b"""<?xml version="1.0"?>
<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" xmlns="http://purl.org/rss/1.0/"
         xmlns:dc="http://purl.org/dc/elements/1.1/">
  <channel rdf:about="https://rdf.example/"><title>RDF Example</title><link>https://rdf.example/</link></channel>
  <item rdf:about="https://rdf.example/a"><title>RDF item</title><link>https://rdf.example/a</link>
    <description>About it</description><dc:date>2023-05-06T07:08:09Z</dc:date></item>
</rdf:RDF>"""

JSONFEED = orjson.dumps(
    {
        "version": "https://jsonfeed.org/version/1.1",
        "title": "JSON Example",
        "language": "en",
        "authors": [{"name": "Feed Author"}],
        "items": [
            {
                "id": "1",
                "url": "https://json.example/1",
                "title": "First",
                "content_html": "<p>Hello</p>",
                "content_text": "Hello",
                "summary": "Hi",
                "date_published": "2024-03-04T05:06:07-02:00",
                "date_modified": "2024-03-04T08:00:00Z",
                "tags": ["a", "b"],
                "attachments": [{"url": "https://json.example/a.mp3", "mime_type": "audio/mpeg", "size_in_bytes": 9}],
            },
            {"id": 2, "external_url": "https://elsewhere.example/x", "content_text": "numeric id (1.0 feeds)"},
            {"title": "no id, no url"},
            "not an object",
        ],
    }
)


def parse(body: bytes, **kw: Any) -> Any:
    result = parse_feed(body, url=FEED.url, headers=kw.pop("headers", {"Content-Type": "application/rss+xml"}),
                        feed=FEED, fetched_at=FETCHED, http=HTTP, **kw)  # fmt: skip
    for article in result.articles:
        schemas.validate("raw-article", article)
    return result


def test_rss20_with_content_encoded() -> None:
    result = parse(RSS)
    assert (result.outcome, result.bozo, result.title, result.ttl_minutes, result.format) == (
        "ok", None, "Example World", 15, "rss20",
    )  # fmt: skip
    assert result.entries_seen == 3 and result.entries_skipped == 1 and len(result.articles) == 2
    first = result.articles[0]
    entry = first["entry"]
    assert first["article_id"] == article_id("https://news.example/world/drone?utm_source=rss", "story-1", FEED.url)
    assert first["article_id"].startswith("u:")
    assert first["source"] == "feed" and first["fetched_at"] == "2026-01-02T03:04:05Z"
    assert first["feed"] == {
        "url": FEED.url, "title": "Example World", "publisher": "Example News", "language": "en-gb",
        "name": "Example World", "tags": ["world"],
    }  # fmt: skip
    assert first["http"] == HTTP
    assert entry["guid"] == "story-1" and entry["title"] == "Drone downed in northeast Syria"
    assert entry["summary"] == "Short summary."
    assert entry["content"] == [{"type": "text/html", "language": None, "value": "<p>Full <b>body</b> text.</p>"}]
    assert entry["published"] == {"raw": "Sun, 05 Nov 2023 14:30:00 +0300", "utc": "2023-11-05T11:30:00Z"}
    assert entry["updated"] is None
    assert entry["authors"] == ["Jane Reporter"] and entry["tags"] == ["Middle East", "Syria"]
    assert entry["enclosures"] == [{"url": "https://news.example/img.jpg", "type": "image/jpeg", "length": "1234"}]
    assert len(entry["fingerprint"]) == 32
    # relative links resolve against the final URL (Content-Location defaults to it)
    assert result.articles[1]["entry"]["link"] == "https://news.example/world/relative"


def test_atom() -> None:
    result = parse(ATOM, headers={"content-type": "application/atom+xml"})
    assert result.outcome == "ok" and result.format == "atom10"
    entry = result.articles[0]["entry"]
    assert entry["guid"] == "tag:example.org,2024:1" and entry["link"] == "https://atom.example/1"
    assert entry["title"] == "Erste <em>Meldung</em>"
    assert entry["published"]["utc"] == "2024-02-01T08:00:00Z" and entry["updated"]["utc"] == "2024-02-01T10:00:00Z"
    assert entry["content"][0]["type"] == "application/xhtml+xml" and "<p>Text</p>" in entry["content"][0]["value"]
    assert entry["language"] == "de" and entry["authors"] == ["Erika Muster"]


def test_rdf() -> None:
    result = parse(RDF, headers={"content-type": "application/rdf+xml"})
    assert result.outcome == "ok" and result.format == "rss10"
    entry = result.articles[0]["entry"]
    assert entry["link"] == "https://rdf.example/a" and entry["updated"]["utc"] == "2023-05-06T07:08:09Z"


def test_json_feed() -> None:
    result = parse_json_feed(JSONFEED, url="https://json.example/feed.json", feed=FEED, fetched_at=FETCHED, http=HTTP)
    assert (result.outcome, result.format, result.entries_seen, result.entries_skipped) == ("ok", "json11", 4, 2)
    for article in result.articles:
        schemas.validate("raw-article", article)
    first, second = (a["entry"] for a in result.articles)
    assert first["content"] == [
        {"type": "text/html", "language": None, "value": "<p>Hello</p>"},
        {"type": "text/plain", "language": None, "value": "Hello"},
    ]
    assert first["published"] == {"raw": "2024-03-04T05:06:07-02:00", "utc": "2024-03-04T07:06:07Z"}
    assert first["authors"] == ["Feed Author"] and first["tags"] == ["a", "b"]
    assert first["enclosures"] == [{"url": "https://json.example/a.mp3", "type": "audio/mpeg", "length": 9}]
    assert second["guid"] == "2" and second["link"] == "https://elsewhere.example/x"
    assert result.articles[0]["producer"]["name"] == "jsonfeed"


@pytest.mark.parametrize("body", [b"", b"not json", b"[]", b'{"version": "x"}'])
def test_json_feed_errors_are_outcomes(body: bytes) -> None:
    result = parse_json_feed(body, url="https://json.example/feed.json")
    assert result.outcome == "parse_error" and result.bozo and result.articles == []


def test_bozo_feed_with_recovered_entries_still_yields_them() -> None:
    broken = RSS.replace(b"</channel></rss>", b"<item><title>A & B</title><link>https://news.example/amp</link>")
    result = parse(broken)
    assert result.bozo is not None and result.outcome == "ok"
    assert [a["entry"]["link"] for a in result.articles][-1] == "https://news.example/amp"


@pytest.mark.parametrize("body", [b"", b"<html><body><p>Not a feed</p></body></html>", b"\x00\x01\x02garbage", b"{}"])
def test_nothing_usable_is_parse_error(body: bytes) -> None:
    result = parse(body, headers={"content-type": "text/html"})
    assert result.outcome == "parse_error" and result.articles == []


def test_empty_but_valid_feed_is_ok() -> None:
    result = parse(b'<rss version="2.0"><channel><title>Quiet</title></channel></rss>')
    assert result.outcome == "ok" and result.articles == [] and result.bozo is None


def test_body_naming_a_local_file_is_not_read(tmp_path: Path) -> None:
    # feedparser.parse(bytes) would try the bytes as a file name first; parse_feed must never do that.
    local = tmp_path / "secret.xml"
    local.write_bytes(RSS.replace(b"Drone downed", b"SECRET-LOCAL-FILE"))
    result = parse(str(local).encode())
    assert result.outcome == "parse_error"
    assert b"SECRET" not in orjson.dumps(result.articles)


def test_fingerprint_changes_iff_a_significant_field_changes() -> None:
    base = {"title": "T", "link": "https://x/1", "summary": "S", "content": ["C"], "updated": "2024-01-01"}

    def fp(**changes: Any) -> str:
        values = {**base, **changes}
        return fingerprint(values["title"], values["link"], values["summary"], values["content"], values["updated"])

    reference = fp()
    assert fp() == reference
    for field, value in [("title", "T2"), ("link", "https://x/2"), ("summary", "S "), ("content", ["C", "D"]),
                         ("content", []), ("updated", "2024-01-02"), ("updated", None), ("title", None)]:  # fmt: skip
        assert fp(**{field: value}) != reference, field
    # no ambiguity between fields: moving text across a boundary changes the hash
    assert fp(title="TS", summary="") != fp(title="T", summary="SS"[:1] + "")


def test_fingerprint_ignores_insignificant_fields() -> None:
    a = parse(RSS).articles[0]["entry"]["fingerprint"]
    changed = RSS.replace(b"<category>Syria</category>", b"<category>Iraq</category>").replace(
        b"Jane Reporter", b"John Editor"
    )
    assert parse(changed).articles[0]["entry"]["fingerprint"] == a
    edited = RSS.replace(b"Full <b>body</b> text.", b"Full <b>body</b> text, corrected.")
    assert parse(edited).articles[0]["entry"]["fingerprint"] != a


def test_utc_string_bounds() -> None:
    assert utc_string((0, 1, 1, 0, 0, 0, 0, 1, 0)) is None  # type: ignore[arg-type]
    assert utc_string((2024, 2, 29, 23, 59, 61, 0, 1, 0)) == "2024-02-29T23:59:59Z"  # type: ignore[arg-type]
    assert utc_string(None) is None
