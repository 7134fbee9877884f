"""Feed content cannot inject HTML or script into ``body_html``.

Hostile markup goes through the real path: an RSS document parsed by ``producers.parse.parse_feed``
(feedparser, which sanitizes on its own) and a JSON Feed parsed by ``producers.jsonfeed`` (which
passes HTML through untouched, so nh3 in ``consumers.normalize`` is the only defence there), then
``normalize()``. The output is re-parsed with an HTML5 parser, as a browser would read it, and every
element and attribute is checked against what could run script, load active content, navigate, or
change how relative URLs resolve.
"""

from __future__ import annotations

import re
from typing import Any

import orjson
import pytest
from selectolax.lexbor import LexborHTMLParser

from consumers.normalize import normalize
from producers.jsonfeed import parse_json_feed
from producers.parse import parse_feed

# Each payload sits between two harmless sentences, so the article keeps a body either way.
PAYLOADS: dict[str, str] = {
    "script": "<script>alert(document.cookie)</script>",
    "script_mixed_case": "<ScRiPt src=https://evil.example/x.js></sCrIpT>",
    "img_onerror": "<img src=x onerror=alert(1)>",
    "body_onload": "<body onload=alert(1)><p>in body</p></body>",
    "onmouseover": '<p onmouseover="alert(1)" onclick=alert(2)>hover</p>',
    "js_href": '<a href="javascript:alert(1)">click</a>',
    "js_href_entity_colon": '<a href="javascript&#58;alert(1)">click</a>',
    "js_href_entity_letter": '<a href="&#106;avascript:alert(1)">click</a>',
    "js_href_tab": '<a href="jav&#x09;ascript:alert(1)">click</a>',
    "js_href_case_space": '<a href="  JaVaScRiPt:alert(1)">click</a>',
    "vbscript_href": '<a href="vbscript:msgbox(1)">click</a>',
    "data_href": '<a href="data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==">click</a>',
    "data_img": '<img src="data:image/svg+xml;base64,PHN2ZyBvbmxvYWQ9YWxlcnQoMSk+">',
    "js_img_src": '<img src="javascript:alert(1)">',
    "js_srcset": '<img srcset="javascript:alert(1) 1x, https://ok.example/a.png 2x">',
    "style_attr": '<div style="background:url(javascript:alert(1));width:expression(alert(2))">styled</div>',
    "style_behavior": '<p style="behavior:url(https://evil.example/x.htc)">htc</p>',
    "style_tag_import": '<style>@import "https://evil.example/x.css"; body{background:url(javascript:x)}</style>',
    "link_stylesheet": '<link rel="stylesheet" href="https://evil.example/x.css">',
    "svg_onload": "<svg onload=alert(1)><circle r=10></circle></svg>",
    "svg_script": "<svg><script>alert(1)</script></svg>",
    "svg_xlink": '<svg><a xlink:href="javascript:alert(1)"><text x="0" y="20">svg link</text></a></svg>',
    "svg_animate": '<svg><a><animate attributeName="href" values="javascript:alert(1)"/><text>a</text></a></svg>',
    "math_mxss": "<math><mtext><table><mglyph><style><img src=x onerror=alert(1)>",
    "noscript_mxss": '<noscript><p title="</noscript><img src=x onerror=alert(1)>">',
    "base": '<base href="https://evil.example/">',
    "meta_refresh": '<meta http-equiv="refresh" content="0;url=https://evil.example/">',
    "iframe": '<iframe src="https://evil.example/"></iframe>',
    "iframe_srcdoc": '<iframe srcdoc="&lt;script&gt;alert(1)&lt;/script&gt;"></iframe>',
    "object_embed": '<object data="https://evil.example/x.swf"></object><embed src="https://evil.example/x.swf">',
    "form": '<form action="https://evil.example/"><input name=p>'
    '<button formaction="javascript:alert(1)">go</button></form>',
    "template": "<template><script>alert(1)</script></template>",
    "target_blank": '<a href="https://ok.example/story" target="_blank">tabnabbing</a>',
}

#: Elements that run script, embed active content, submit data, or change the document's base.
FORBIDDEN_TAGS = frozenset(
    "script style link meta base iframe frame frameset object embed applet svg math form input button "
    "textarea select option template noscript portal".split()
)
URL_ATTRIBUTES = frozenset(
    "href src srcset action formaction poster background xlink:href data cite longdesc lowsrc dynsrc ping "
    "codebase manifest".split()
)
SAFE_SCHEMES = frozenset({"http", "https", "mailto"})
_SCHEME = re.compile(r"^([a-z][a-z0-9+.\-]*):")
#: Browsers drop ASCII whitespace and control characters inside a URL's scheme.
_IGNORED_IN_SCHEME = re.compile(r"[\x00-\x20\x7f]+")


def _scheme(url: str) -> str | None:
    match = _SCHEME.match(_IGNORED_IN_SCHEME.sub("", url).lower())
    return match.group(1) if match else None


def findings(html: str) -> list[str]:
    """Everything in ``html`` (as an HTML5 parser reads it) that could run script or escape the page."""
    found: list[str] = []
    tree = LexborHTMLParser(f"<!doctype html><html><body>{html}</body></html>")
    for node in tree.css("*"):
        tag = node.tag or ""
        if tag in FORBIDDEN_TAGS:
            found.append(f"<{tag}> element")
        for name, value in node.attributes.items():
            name = name.lower()
            value = value or ""
            if name.startswith("on"):
                found.append(f"<{tag} {name}> event handler")
            elif name in ("style", "srcdoc", "formaction", "http-equiv"):
                found.append(f"<{tag} {name}> attribute")
            elif name in URL_ATTRIBUTES:
                urls = [part.strip().split(" ")[0] for part in value.split(",")] if name == "srcset" else [value]
                for url in urls:
                    scheme = _scheme(url)
                    if scheme is not None and scheme not in SAFE_SCHEMES:
                        found.append(f"<{tag} {name}={value!r}> {scheme}: URL")
        if tag == "a" and "target" in node.attributes:
            rel = (node.attributes.get("rel") or "").split()
            if "noopener" not in rel:
                found.append("<a target> without rel=noopener")
    return found


def test_the_checker_finds_what_it_looks_for() -> None:
    """The oracle itself must see every payload as dangerous before sanitizing (else it proves nothing)."""
    for name, payload in PAYLOADS.items():
        if name in ("target_blank", "math_mxss", "noscript_mxss"):
            continue  # dangerous only through parser tricks or by omission, checked below
        assert findings(payload), name
    assert findings('<a href="https://ok.example/" target="_blank">x</a>')
    assert not findings('<p><a href="https://ok.example/" rel="noopener">ok</a><img src="/a.png" alt=""></p>')


def _body(payload: str) -> str:
    return f"<p>Officials met on Tuesday to review the budget.</p>{payload}<p>The meeting ended at noon.</p>"


def _rss(items: dict[str, str]) -> bytes:
    """A real RSS 2.0 document: payloads in content:encoded (CDATA) and, entity-escaped, in description."""
    parts = []
    for name, payload in items.items():
        body = _body(payload)
        escaped = body.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
        parts.append(
            f"<item><title>Story {name}</title><link>https://news.example.org/{name}</link>"
            f"<guid>https://news.example.org/{name}</guid><pubDate>Tue, 24 Nov 2026 10:00:00 GMT</pubDate>"
            f"<description>{escaped}</description>"
            f"<content:encoded><![CDATA[{body}]]></content:encoded></item>"
        )
    return (
        '<?xml version="1.0" encoding="utf-8"?>\n<rss version="2.0" '
        'xmlns:content="http://purl.org/rss/1.0/modules/content/"><channel><title>Hostile</title>'
        "<link>https://news.example.org/</link><description>x</description>" + "".join(parts) + "</channel></rss>"
    ).encode()


def _json_feed(items: dict[str, str]) -> bytes:
    return orjson.dumps(
        {
            "version": "https://jsonfeed.org/version/1.1",
            "title": "Hostile",
            "items": [
                {
                    "id": f"https://news.example.org/{name}",
                    "url": f"https://news.example.org/{name}",
                    "title": f"Story {name}",
                    "content_html": _body(payload),
                    "summary": payload,
                    "date_published": "2026-11-24T10:00:00Z",
                }
                for name, payload in items.items()
            ],
        }
    )


def _normalized(articles: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    out = {}
    for article in articles:
        normalized = normalize(article)
        out[normalized["url"].rsplit("/", 1)[1]] = normalized
    return out


def _assert_clean(normalized: dict[str, dict[str, Any]]) -> None:
    assert set(normalized) == set(PAYLOADS)
    for name, article in normalized.items():
        assert findings(article["body_html"]) == [], (name, article["body_html"])
        # The harmless text around each payload survives: sanitizing is not dropping the article.
        assert "Officials met on Tuesday" in article["body_text"], name
        assert "Officials met on Tuesday" in article["body_html"], name
        for field in ("title", "summary_text", "body_text"):
            assert "<script" not in article[field].lower(), (name, field)


def test_rss_through_parse_feed_and_normalize() -> None:
    result = parse_feed(
        _rss(PAYLOADS), url="https://news.example.org/rss.xml", headers={"content-type": "application/rss+xml"}
    )
    assert result.outcome == "ok" and len(result.articles) == len(PAYLOADS)
    _assert_clean(_normalized(result.articles))


def test_json_feed_reaches_normalize_unsanitized_and_nh3_cleans_it() -> None:
    result = parse_json_feed(_json_feed(PAYLOADS), url="https://news.example.org/feed.json")
    assert result.outcome == "ok" and len(result.articles) == len(PAYLOADS)
    raw_html = {a["entry"]["link"].rsplit("/", 1)[1]: a["entry"]["content"][0]["value"] for a in result.articles}
    # Nothing upstream cleaned these: normalize() faces the payloads as the publisher wrote them.
    assert "<script>alert(document.cookie)</script>" in raw_html["script"]
    assert "onerror=alert(1)" in raw_html["img_onerror"]
    _assert_clean(_normalized(result.articles))


def test_safe_markup_survives() -> None:
    """The sanitizer keeps ordinary article markup (links get rel=noopener, images keep http(s) sources)."""
    html = (
        '<p>See <a href="https://ok.example/report">the report</a> and <em>this</em>.</p>'
        '<figure><img src="https://ok.example/a.png" alt="A chart"><figcaption>Chart</figcaption></figure>'
        "<ul><li>one</li><li>two</li></ul><blockquote>Quoted.</blockquote>"
    )
    result = parse_json_feed(_json_feed({"safe": html}), url="https://news.example.org/feed.json")
    body_html = normalize(result.articles[0])["body_html"]
    tree = LexborHTMLParser(body_html)
    link = tree.css_first("a")
    assert link is not None and link.attributes["href"] == "https://ok.example/report"
    assert "noopener" in (link.attributes.get("rel") or "")
    image = tree.css_first("img")
    assert image is not None and image.attributes["src"] == "https://ok.example/a.png"
    assert [li.text() for li in tree.css("li")] == ["one", "two"]
    assert tree.css_first("blockquote") is not None and tree.css_first("figcaption") is not None


@pytest.mark.parametrize("kind", ["text/plain", "text"])
def test_plain_text_content_is_escaped(kind: str) -> None:
    """Text that only looks like markup becomes text, never elements."""
    article = parse_json_feed(_json_feed({"plain": "x"}), url="https://news.example.org/feed.json").articles[0]
    article["entry"]["content"] = [{"type": kind, "language": None, "value": "5 < 6 and 7 > 3\n\nAT&T said so"}]
    article["entry"]["summary"] = None
    body_html = normalize(article)["body_html"]
    assert body_html == "<p>5 &lt; 6 and 7 &gt; 3</p><p>AT&amp;T said so</p>"
    assert findings(body_html) == []
