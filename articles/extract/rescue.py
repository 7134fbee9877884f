"""Editorial notices the main-content extractor left out, found in the page's short blocks. Pure.

A correction box in an ``<aside>``, a ``<div class="correction">`` after the body or an "Update:"
line above the first paragraph is exactly what a precision-first extractor drops, and exactly what
the correction detector must see. :func:`candidates` reads the page *before* extraction prunes it:
every text node the cheap notice trigger fires on (:func:`articles.notices.could_be_notice`), lifted
to its nearest block, skipping link text (a related headline), scripts, navigation, form controls and
comment threads, cookie banners, legal lines
and labelled time stamps ("Updated 0339 GMT", never a notice): a learned detector scores some of
those as notices, and outside the body they are all chrome.
Outside the body a block must also announce itself, by its box (a class or id such as
``correction``, ``editors-note``, ``update``) or by its opening words (a label, "An earlier version…":
:func:`articles.notices.opens_like_notice`): teaser cards, captions and bios that a learned
detector scores as notices do neither. :func:`rescue` then keeps each block the notice detector
confirms and the extracted body does not already hold, at the top when it stood before the body's
first paragraph in the page, else at the bottom.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from articles.extract.clean import is_promo
from articles.notices import could_be_notice, find_notices, opens_like_notice
from articles.text import compare_key
from articles.timestamps import is_timestamp

#: Elements whose text nodes lift to them (the notice's block).
_BLOCK_TAGS = frozenset({"p", "div", "aside", "section", "li", "blockquote", "td", "dd", "h2", "h3", "h4", "h5", "h6"})
#: Ancestors that disqualify a text node: not article text. Not ``form``: some sites (ASP.NET)
#: wrap the whole page in one.
_SKIP_TAGS = frozenset(
    {
        "a",
        "script",
        "style",
        "noscript",
        "template",
        "nav",
        "button",
        "select",
        "option",
        "label",
    }
)
_SKIP_MARKS = frozenset(
    {
        "comment", "comments", "reply", "replies", "related", "promo", "newsletter", "trending", "mostread",
        "cookie", "cookies", "consent", "gdpr", "privacy", "copyright", "legal",
    }
)  # fmt: skip
#: Site-wide legal lines: a notice detector may score "All rights reserved" as a notice; it never is.
_LEGAL = re.compile(
    r"©|\ball rights reserved\b|\balle rechte vorbehalten\b|\btous droits réservés\b|\bwe use cookies\b", re.IGNORECASE
)
_MARK_WORD = re.compile(r"[\s_\-]+")
#: How far up a comment/promo/banner class disqualifies a block (its own box and a few wrappers).
MARK_DEPTH = 4
#: Longest block kept as a notice (a notice box is a few sentences; the detector bounds notices
#: to 1,000 characters).
MAX_BLOCK_CHARS = 1000


#: A block outside the body is mostly chrome, so a notice found there needs more than one inside it:
#: the detector's score at least this (its calibrated probability) unless the block is boxed as a
#: notice (``class="correction"``: the box is the evidence), and a sentence, not a label
#: ("Disclosure", "Update") of at least :data:`MIN_WORDS` words.
MIN_SCORE = 0.5
MIN_WORDS = 4
#: A block is kept whole when its notices make up at least this share of it, else only the notices.
NOTICE_SHARE = 0.3
#: A block whose 4-word shingles are at least this share in the body is body text, not an addition.
SAME_TEXT = 0.5


def _shingles(key: str) -> set[tuple[str, ...]]:
    words = key.split()
    return {tuple(words[i : i + 4]) for i in range(max(1, len(words) - 3))}


def _overlap(part: set[tuple[str, ...]], whole: set[tuple[str, ...]]) -> float:
    return len(part & whole) / len(part) if part else 0.0


@dataclass(frozen=True)
class Candidate:
    """A short block of the page that may hold a notice: its text, document position, and whether
    it sits in a box named for notices (``class="correction"``, ``editors-note``, ``update``…)."""

    text: str
    position: int
    boxed: bool = False


#: Class/id words of a box made for notices.
_NOTICE_MARKS = frozenset(
    {
        "correction", "corrections", "clarification", "clarifications", "update", "updates", "notice",
        "notices", "editor", "editors", "note", "erratum", "errata", "retraction", "correctie", "berichtigung",
        "rectificatif", "correccion", "correcao",
    }
)  # fmt: skip


def _boxed(block: Any) -> bool:
    for depth, node in enumerate((block, *block.iterancestors())):
        if depth > MARK_DEPTH:
            return False
        marks = f"{node.get('class') or ''} {node.get('id') or ''}".lower()
        if any(word in _NOTICE_MARKS for word in _MARK_WORD.split(marks) if word):
            return True
    return False


def _marked(node: Any) -> bool:
    """True when a class or id word of ``node`` names a comment thread, promo or banner."""
    marks = f"{node.get('class') or ''} {node.get('id') or ''}".lower()
    return any(word in _SKIP_MARKS for word in _MARK_WORD.split(marks) if word)


def _skipped(element: Any) -> bool:
    """True inside link text, scripts, navigation or forms anywhere up the tree, or within
    :data:`MARK_DEPTH` levels of a comment, promo or banner container (a page-wide class such as
    ``<body class="has-comments">`` says nothing about one block)."""
    for depth, node in enumerate(element.iterancestors()):
        tag = node.tag if isinstance(node.tag, str) else ""
        if tag in _SKIP_TAGS or (depth < MARK_DEPTH and _marked(node)):
            return True
    return False


def _block(element: Any) -> Any:
    node = element
    while node is not None and (not isinstance(node.tag, str) or node.tag not in _BLOCK_TAGS):
        node = node.getparent()
    return node


def candidates(tree: Any) -> list[Candidate]:
    """Short blocks of ``tree`` (an lxml HTML tree, not yet pruned) that could hold a notice."""
    out: list[Candidate] = []
    seen: set[Any] = set()  # the elements themselves: holding them keeps lxml's proxies (and ids) alive
    positions: dict[Any, int] | None = None
    # text nodes in one C-level pass; the trigger runs on each, and only a hit costs tree walking
    for text_node in tree.xpath("//body//text()"):
        if len(text_node) < 4 or text_node.isspace() or not could_be_notice(text_node):  # most are indentation
            continue
        node = text_node.getparent()
        if node is None:
            continue
        if text_node.is_tail:  # tail text belongs to the parent of the element it follows
            node = node.getparent()
        if node is None or not isinstance(node.tag, str) or node.tag in _SKIP_TAGS:
            continue
        block = _block(node)
        if block is None or block in seen or _skipped(node):
            continue
        seen.add(block)
        text = " ".join(block.text_content().split())
        if text and len(text) <= MAX_BLOCK_CHARS and not is_timestamp(text):
            if positions is None:
                positions = {element: index for index, element in enumerate(tree.iter())}
            out.append(Candidate(text, positions.get(block, 0), _boxed(block)))
    return out


def position_of(tree: Any, paragraph: str) -> int | None:
    """Document position of the first element whose own text starts ``paragraph``."""
    head = " ".join(paragraph.split()[:6])
    if not head:
        return None
    for position, node in enumerate(tree.iter()):
        if isinstance(node.tag, str) and node.text and head in " ".join(node.text.split()):
            return position
    return None


def rescue(
    paragraphs: list[str], found: list[Candidate], first_position: int | None, title: str = ""
) -> tuple[list[str], list[str]]:
    """``(paragraphs, rescued)``: the body with every confirmed notice it lacked added at its place
    (before the body when its block came before ``first_position``, else after)."""
    if not found:
        return paragraphs, []
    body_key = compare_key(" ".join(paragraphs))
    body_shingles = _shingles(body_key)
    top: list[str] = []
    bottom: list[str] = []
    for candidate in found:
        if is_promo(candidate.text) or _LEGAL.search(candidate.text):  # copyright, share, sign-up lines
            continue
        if not candidate.boxed and not opens_like_notice(candidate.text):
            continue  # outside the body a notice announces itself: by its box or by its opening words
        key = compare_key(candidate.text)
        if not key or key in body_key or _overlap(_shingles(key), body_shingles) >= SAME_TEXT:
            continue  # the body already has it (or most of it: whitespace, an inline link dropped)
        notices = find_notices(title, candidate.text)
        texts = [
            n.text
            for n in notices
            if getattr(n, "field", "body_text") != "title"
            and (candidate.boxed or float(getattr(n, "score", 1.0)) >= MIN_SCORE)
            and len(n.text.split()) >= MIN_WORDS
            and not is_timestamp(n.text)
        ]
        texts = [t for t in texts if compare_key(t) not in body_key]
        if not texts:
            continue
        # the block when it is the notice (a correction box, or mostly notice); else only the notice in it (a teaser
        # card or a byline line that happens to hold one must not bring its other text along)
        whole = candidate.boxed or sum(map(len, texts)) >= NOTICE_SHARE * len(candidate.text)
        kept = [candidate.text] if whole else texts
        before = first_position is not None and candidate.position < first_position
        (top if before else bottom).extend(kept)
        body_key += " " + " ".join(compare_key(t) for t in kept)
    return top + paragraphs + bottom, top + bottom
