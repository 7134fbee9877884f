"""The feed list as OPML 2.0, for feed readers and other tools (``newsstream feeds export-opml``).

Tags become folders (nested outlines, in tag order), as ``parse_opml`` reads them back; a JSON Feed
is written ``type="json"`` and the publisher as a ``publisher`` attribute, so an export imports
back into the same feed list.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET  # noqa: S405 - used only to write
from collections.abc import Sequence
from datetime import UTC, datetime
from email.utils import format_datetime

from producers.feeds import FeedConfig


def to_opml(feeds: Sequence[FeedConfig], title: str = "newsstream feeds") -> bytes:
    """An OPML 2.0 document with one outline per feed (disabled feeds included: OPML has no flag)."""
    root = ET.Element("opml", version="2.0")
    head = ET.SubElement(root, "head")
    ET.SubElement(head, "title").text = title
    ET.SubElement(head, "dateCreated").text = format_datetime(datetime.now(UTC))
    body = ET.SubElement(root, "body")
    folders: dict[tuple[str, ...], ET.Element] = {(): body}
    for feed in feeds:
        parent = body
        for depth in range(1, len(feed.tags) + 1):
            path = feed.tags[:depth]
            if path not in folders:
                folders[path] = ET.SubElement(parent, "outline", text=path[-1], title=path[-1])
            parent = folders[path]
        attrs = {
            "type": {"jsonfeed": "json"}.get(feed.type, feed.type),
            "text": feed.name,
            "title": feed.name,
            "xmlUrl": feed.url,
        }
        if feed.language:
            attrs["language"] = feed.language
        if feed.publisher:
            attrs["publisher"] = feed.publisher
        ET.SubElement(parent, "outline", attrs)
    ET.indent(root)
    return b'<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="utf-8") + b"\n"
