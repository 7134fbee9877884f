"""Render a demo feed at one step as RSS 2.0 (content:encoded), Atom 1.0 or JSON Feed 1.1 bytes,
and an item as a small article page. Deterministic: the same feed, step and base URL give the same bytes.
"""

from __future__ import annotations

import json
from datetime import datetime
from email.utils import format_datetime
from xml.sax.saxutils import escape

from devtools.demo.content import Feed, Item

CONTENT_TYPES = {
    "rss": "application/rss+xml; charset=utf-8",
    "atom": "application/atom+xml; charset=utf-8",
    "jsonfeed": "application/feed+json; charset=utf-8",
}


def _rfc822(moment: datetime) -> str:
    return format_datetime(moment, usegmt=True)


def _iso(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def _cdata(text: str) -> str:
    return "<![CDATA[" + text.replace("]]>", "]]]]><![CDATA[>") + "]]>"


def item_link(base_url: str, feed: Feed, item: Item) -> str:
    return f"{base_url}/{feed.key}/news/{item.slug}"


def render_feed(feed: Feed, step: int, base_url: str) -> bytes:
    """The feed's bytes at ``step``; ``base_url`` (http://host:port) prefixes every link."""
    items = feed.items(step)
    if feed.kind == "rss":
        return _rss(feed, items, base_url)
    if feed.kind == "atom":
        return _atom(feed, items, base_url)
    return _jsonfeed(feed, items, base_url)


def _rss(feed: Feed, items: list[Item], base: str) -> bytes:
    out = [
        '<?xml version="1.0" encoding="UTF-8"?>',
        '<rss version="2.0" xmlns:content="http://purl.org/rss/1.0/modules/content/" '
        'xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:atom="http://www.w3.org/2005/Atom">',
        "<channel>",
        f"<title>{escape(feed.title)}</title>",
        f"<link>{escape(base)}/{feed.key}/</link>",
        f'<atom:link href="{escape(base + feed.path)}" rel="self" type="application/rss+xml"/>',
        f"<description>{escape(feed.description)}</description>",
        f"<language>{feed.language}</language>",
    ]
    for item in items:
        link = item_link(base, feed, item)
        out += [
            "<item>",
            f"<title>{escape(item.title)}</title>",
            f"<link>{escape(link)}</link>",
            f'<guid isPermaLink="false">{feed.key}-{item.slug}</guid>',
            f"<pubDate>{_rfc822(item.published)}</pubDate>",
            f"<dc:creator>{escape(item.author)}</dc:creator>",
            f"<description>{escape(item.summary)}</description>",
            f"<content:encoded>{_cdata(item.html)}</content:encoded>",
            "</item>",
        ]
    out += ["</channel>", "</rss>", ""]
    return "\n".join(out).encode("utf-8")


def _atom(feed: Feed, items: list[Item], base: str) -> bytes:
    newest = max((i.updated for i in items), default=None)
    out = [
        '<?xml version="1.0" encoding="UTF-8"?>',
        f'<feed xmlns="http://www.w3.org/2005/Atom" xml:lang="{feed.language}">',
        f"<title>{escape(feed.title)}</title>",
        f"<subtitle>{escape(feed.description)}</subtitle>",
        f"<id>tag:demo.newsstream,2023:{feed.key}</id>",
        f'<link rel="self" href="{escape(base + feed.path)}"/>',
        f'<link rel="alternate" href="{escape(base)}/{feed.key}/"/>',
        f"<updated>{_iso(newest) if newest else '2023-11-01T00:00:00Z'}</updated>",
    ]
    for item in items:
        out += [
            "<entry>",
            f"<title>{escape(item.title)}</title>",
            f'<link rel="alternate" href="{escape(item_link(base, feed, item))}"/>',
            f"<id>tag:demo.newsstream,2023:{feed.key}/{item.slug}</id>",
            f"<published>{_iso(item.published)}</published>",
            f"<updated>{_iso(item.updated)}</updated>",
            f"<author><name>{escape(item.author)}</name></author>",
            f"<summary>{escape(item.summary)}</summary>",
            f'<content type="html">{escape(item.html)}</content>',
            "</entry>",
        ]
    out += ["</feed>", ""]
    return "\n".join(out).encode("utf-8")


def _jsonfeed(feed: Feed, items: list[Item], base: str) -> bytes:
    document = {
        "version": "https://jsonfeed.org/version/1.1",
        "title": feed.title,
        "home_page_url": f"{base}/{feed.key}/",
        "feed_url": base + feed.path,
        "description": feed.description,
        "language": feed.language,
        "items": [
            {
                "id": f"{feed.key}-{item.slug}",
                "url": item_link(base, feed, item),
                "title": item.title,
                "summary": item.summary,
                "content_html": item.html,
                "date_published": _iso(item.published),
                "date_modified": _iso(item.updated),
                "authors": [{"name": item.author}],
                "language": feed.language,
            }
            for item in items
        ],
    }
    return (json.dumps(document, ensure_ascii=False, indent=2) + "\n").encode("utf-8")


def render_page(feed: Feed, item: Item) -> bytes:
    """The article page of ``item`` as the outlet's site would show it."""
    return (
        "<!doctype html>\n"
        f'<html lang="{feed.language}"><head><meta charset="utf-8"><title>{escape(item.title)} | '
        f"{escape(feed.publisher)}</title></head>\n<body><article>\n<h1>{escape(item.title)}</h1>\n"
        f'<p class="byline">{escape(item.author)}, <time datetime="{_iso(item.published)}">'
        f"{_rfc822(item.published)}</time></p>\n{item.html}\n</article></body></html>\n"
    ).encode()
