"""HTML to paragraphs of plain text, through a real HTML5 parser (lexbor, via selectolax).

Block boundaries (``p``, ``br``, ``div``, ``li``, headings, ``blockquote``, table rows, ...) become
paragraph breaks; entities are unescaped by the parser; each paragraph is NFC-normalized with its
whitespace folded to single spaces. Non-content elements (scripts, styles, form controls,
navigation, share and comment widgets, asides without a notice cue, link-dense blocks such as menus
and related-headline lists) are dropped before the text is read.

The parser inserts a separator character (U+2029 PARAGRAPH SEPARATOR) around every block element
and reads the whole text in one C-level call, which is several times faster than walking the tree
in Python. A U+2029 already present in the text is a paragraph break anyway.
"""

from __future__ import annotations

import html
import re
import threading
import unicodedata
from typing import Any
from urllib.parse import urljoin

from selectolax.lexbor import LexborCSSSelector, LexborHTMLParser

from articles.notices import could_be_notice

_SEP = "\u2029"
_BLOCKS = (
    "p,br,div,li,ul,ol,dl,dt,dd,h1,h2,h3,h4,h5,h6,blockquote,pre,table,tr,td,th,section,article,"
    "header,footer,figure,figcaption,hr,address,main,details,summary"
)
#: Elements that never carry article text. Form *controls* only, not ``<form>``: some sites wrap
#: the whole page (the article with it) in one form (issue 12).
_DROP_TAGS = [
    "script", "style", "noscript", "template", "iframe", "object", "embed", "svg", "canvas",
    "button", "select", "option", "input", "textarea", "label", "nav", "audio", "video", "head",
]  # fmt: skip
#: A block whose text is at least this share link text, with at least :data:`LINK_BLOCK_LINKS`
#: links, is a menu, a related-headlines list or a tag cloud, not prose (a paragraph with one
#: link in it, or a single linked line, stays).
LINK_DENSITY = 0.8
LINK_BLOCK_LINKS = 3
_LINK_BLOCKS = "ul,ol,div,section,table,footer,header"
#: A feed entry's content that holds these is a whole page, not an article body.
_PAGE_MARK = re.compile(r"<(?:body|nav|header)\b", re.IGNORECASE)
#: Share/comment/newsletter widgets recognised by their class or id (whole words, not substrings,
#: so a "commentary" section survives).
_DROP_SELECTOR = (
    '[class~="share"],[class~="sharing"],[class~="social-share"],[class~="share-buttons"],'
    '[class~="comments"],[id="comments"],[class~="comment-form"],[id="respond"],'
    '[class~="newsletter"],[class~="newsletter-signup"],[class~="font-size"],[class~="advert"],'
    '[class~="advertisement"],[class~="ad-slot"],[aria-hidden="true"]'
)
_TAG_HINT = re.compile(r"<[A-Za-z!/]|&(?:#[0-9]{1,7}|#[xX][0-9A-Fa-f]{1,6}|[A-Za-z][A-Za-z0-9]{1,31});")
_BLOCK_TAG = re.compile(r"<(?:p|br|div|li|h[1-6]|blockquote|pre|table|tr|section|article)\b", re.IGNORECASE)
_BLANK_LINE = re.compile(r"\n[ \t\r]*\n")


def fold(text: str) -> str:
    """One paragraph: NFC, whitespace runs folded to one space, stripped."""
    return " ".join(unicodedata.normalize("NFC", text).split())


def looks_like_html(value: str) -> bool:
    """True when ``value`` has a tag or an entity, so it must go through the parser."""
    return _TAG_HINT.search(value) is not None


def _blank_lines_as_breaks(html: str) -> str:
    """HTML without any block element (text with a few entities or inline tags): its blank lines
    are the paragraph breaks, as in plain text."""
    if "\n" in html and _BLANK_LINE.search(html) and not _BLOCK_TAG.search(html):
        return _BLANK_LINE.sub(_SEP, html)
    return html


def paragraphs(html: str) -> list[str]:
    """The non-empty paragraphs of ``html``'s text, in document order."""
    return _paragraphs(LexborHTMLParser(_blank_lines_as_breaks(html)))


_local = threading.local()


def _selector() -> Any:
    """This thread's CSS engine: selectolax otherwise builds (and frees) one for every document,
    which costs about as much as parsing a short summary."""
    selector = getattr(_local, "selector", None)
    if selector is None:
        selector = _local.selector = LexborCSSSelector()
    return selector


def _css(node: Any, query: str) -> list[Any]:
    """``node.css(query)`` through the thread's CSS engine."""
    found: list[Any] = _selector().find(query, node)
    return found


def _has(node: Any, query: str) -> bool:
    """``node.css_first(query) is not None``, through the thread's CSS engine."""
    return bool(_selector().find_first(query, node))


def _link_dense(node: Any) -> bool:
    links = _css(node, "a")
    if len(links) < LINK_BLOCK_LINKS:
        return False
    text = len("".join(node.text(deep=True).split()))
    linked = sum(len("".join(a.text(deep=True).split())) for a in links)
    return text > 0 and linked >= LINK_DENSITY * text


def _drop_link_blocks(root: Any) -> None:
    """Decompose link-dense blocks, innermost first (reversed document order puts descendants
    before their ancestors, so no removed node is visited again)."""
    for node in reversed(_css(root, _LINK_BLOCKS)):
        if _link_dense(node):
            node.decompose()


def _drop_asides(root: Any) -> None:
    """``<aside>`` is a sidebar unless it holds a notice cue (a correction box is often one)."""
    for node in _css(root, "aside"):
        if not could_be_notice(node.text(deep=True)):
            node.decompose()


def is_whole_page(html: str) -> bool:
    """True when a feed entry's content is a whole page (``<body>``, ``<nav>`` or ``<header>``),
    which goes through the page extractor rather than this module."""
    return _PAGE_MARK.search(html) is not None


def _paragraphs(tree: LexborHTMLParser) -> list[str]:
    tree.strip_tags(_DROP_TAGS)
    document = tree.root
    if document is None:
        return []
    for node in _css(document, _DROP_SELECTOR):
        node.decompose()
    _drop_asides(document)
    root = tree.body or tree.root
    if root is None:
        return []
    if _has(root, "a"):
        _drop_link_blocks(root)
    for node in _css(root, _BLOCKS):
        node.insert_before(_SEP)
        node.insert_after(_SEP)
    # NFC once over the whole text rather than per paragraph (same result: the separator U+2029
    # composes with nothing), then fold each paragraph's whitespace.
    text = unicodedata.normalize("NFC", root.text(deep=True))
    return [para for para in (" ".join(chunk.split()) for chunk in text.split(_SEP)) if para]


def text_paragraphs(value: str) -> list[str]:
    """Paragraphs of a plain-text value: split on blank lines (single newlines fold)."""
    return [p for p in (fold(c) for c in re.split(r"\n\s*\n|\u2029", value)) if p]


def inline_text(value: str) -> str:
    """A one-line field (title, author) as plain text: tags stripped, entities unescaped, folded."""
    if not looks_like_html(value):
        pass
    elif "<" not in value and "&#" not in value and "\x00" not in value:
        # named references only ("&amp;"): html.unescape reads every one as the parser does (checked
        # against lexbor for all 2,231 names), without building a document
        value = html.unescape(value)
    else:
        tree = LexborHTMLParser(value)
        tree.strip_tags(["script", "style"])
        root = tree.body or tree.root
        value = root.text(deep=True) if root is not None else ""
    return fold(value)


def _canonical(tree: LexborHTMLParser, html: str, base_url: str | None) -> str | None:
    if "canonical" not in html:
        return None
    if tree.root is None:
        return None
    for link in _css(tree.root, "link[rel]"):
        rel = (link.attributes.get("rel") or "").lower().split()
        href = (link.attributes.get("href") or "").strip()
        if "canonical" in rel and href:
            return urljoin(base_url, href) if base_url else href
    return None


def canonical_link(html: str, base_url: str | None = None) -> str | None:
    """The href of ``html``'s ``<link rel=canonical>`` (absolute), if any."""
    return _canonical(LexborHTMLParser(html), html, base_url) if "canonical" in html else None


def extract(html: str, base_url: str | None = None) -> tuple[list[str], str | None]:
    """Paragraphs of ``html`` and the href of its ``<link rel=canonical>`` (absolute), if any."""
    tree = LexborHTMLParser(_blank_lines_as_breaks(html))
    canonical = _canonical(tree, html, base_url)
    return _paragraphs(tree), canonical
