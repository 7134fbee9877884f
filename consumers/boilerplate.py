"""Page chrome and boilerplate removal over paragraphs of plain text.

Three rules, applied in order:

1. **Leading chrome**: before the first real paragraph, short lines that are only a date or the
   publisher's name are dropped.
2. **Chrome lines anywhere**: a paragraph that is, as a whole, a share/subscribe/comment/widget
   label ("Share this article", "Read more", "Sign up for our newsletter", "Required") or a
   comment-policy paragraph (one that speaks of comments and of moderating them or of the
   community guidelines they must meet: "<Outlet> moderates all comments...") is dropped.
3. **Comment section**: a heading such as "Comments", "Post a comment" or "Leave a reply" in the
   second half of the text starts the comment section; it and everything after it are dropped,
   except paragraphs that read as editorial notices.

A time stamp after an "Updated"/"Published" label ("Updated 5:27 am CST, Wednesday ...", "Published
16m ago"; :func:`articles.timestamps.is_timestamp`) is chrome wherever it stands, never a notice.

Editorial notices ("CORRECTION: ...", "UPDATED at 8:35 pm with the correction", "Editor's note:
...", "An earlier version of this article...") are never dropped: the correction detector reads
them.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from articles.notices import opens_like_notice
from articles.timestamps import is_timestamp

#: Whole-paragraph chrome labels, compared after :func:`_key` (casefolded, punctuation dropped).
CHROME_LINES = frozenset(
    {
        "a a", "aa", "a a a", "font size", "text size", "print", "email", "e mail", "share", "tweet",
        "share this", "share this article", "share this story", "share this post", "share article",
        "share on facebook", "share on twitter", "share on x", "share on linkedin", "share on whatsapp",
        "share via email", "copy link", "link copied", "read more", "continue reading", "read the full story",
        "read full article", "read the full article", "click here to read more", "see more", "show more",
        "sign up for our newsletter", "subscribe to our newsletter", "sign up", "subscribe", "subscribe now",
        "advertisement", "advertising", "ad", "sponsored", "skip to content", "skip to main content",
        "listen to this article", "listen", "save", "save article", "bookmark", "related", "related articles",
        "related stories", "more on this story", "you may also like", "recommended", "most read",
        "required", "post a comment", "leave a comment", "leave a reply", "add a comment", "comments",
        "comment", "view comments", "show comments", "join the conversation", "follow us", "facebook",
        "twitter", "whatsapp", "linkedin", "telegram", "reddit", "pinterest", "image", "photo", "video",
        "close", "menu", "search", "back to top", "top", "loading", "cancel", "submit", "send",
    }
)  # fmt: skip
#: Headings that open a comment section.
COMMENT_HEADINGS = frozenset(
    {
        "comments", "post a comment", "leave a comment", "leave a reply", "add a comment",
        "join the conversation", "view comments", "show comments", "reader comments", "discussion",
    }
)  # fmt: skip
_COMMENT_COUNT = re.compile(r"^(?:\d+ comments?|comments? \d+)$")
_FONT_WIDGET = re.compile(r"^(?:[aA]\s*[+\-−–]\s*){1,3}$")
_COMMENT_POLICY = re.compile(
    r"\bmoderates? (?:all )?comments\b|\bcomments? (?:are|will be) (?:moderated|reviewed|pre-?moderated)\b"
    r"|\b(?:your|all) comments must\b|\bcomments? that do(?:es)? not meet\b|\bwe welcome comments\b"
    r"|\bcomments are (?:not edited|closed)\b|\bcomments?\b.{0,80}\bcommunity (?:guidelines|standards)\b",
    re.IGNORECASE,
)
_DATE_ONLY = re.compile(
    r"^(?:(?:mon|tue|wed|thu|fri|sat|sun)\w*,?\s+)?"
    r"(?:\d{1,4}[-/.]\d{1,2}[-/.]\d{1,4}|\d{1,2}\s+[a-z]{3,9}\.?,?\s+\d{4}|[a-z]{3,9}\.?\s+\d{1,2},?\s+\d{4})"
    r"(?:,?\s+(?:at\s+)?\d{1,2}[:.]\d{2}(?:[:.]\d{2})?\s*(?:am|pm|a\.m\.|p\.m\.)?(?:\s*[a-z]{2,5})?)?"
    r"|(?:published|updated|posted|last updated)[: ]",
    re.IGNORECASE,
)
_KEY = re.compile(r"[^\w+]+")
_LEADING_MAX_WORDS = 8
#: Longest paragraph that can be a label, a heading or a leading date/publisher line.
_SHORT = 80


def _key(paragraph: str) -> str:
    return _KEY.sub(" ", paragraph.casefold()).strip()


def is_notice(paragraph: str) -> bool:
    """True when the paragraph opens like an editorial notice (kept whatever else matches): a label or a
    notice's opening words from the detector's own multilingual cue data (``articles.notices``)."""
    return opens_like_notice(paragraph)


def _is_policy(paragraph: str) -> bool:
    if "comment" not in paragraph.lower():  # policy text always speaks of comments
        return False
    return _COMMENT_POLICY.search(paragraph) is not None


def is_chrome(paragraph: str) -> bool:
    """True when the whole paragraph is a widget label or comment-policy text."""
    if len(paragraph) <= _SHORT:
        key = _key(paragraph)
        if key in CHROME_LINES or _FONT_WIDGET.match(paragraph) or _COMMENT_COUNT.match(key):
            return True
    return _is_policy(paragraph) and not is_notice(paragraph)


def clean(
    paragraphs: list[str],
    *,
    title: str | None = None,
    publisher: str | None = None,
    authors: Sequence[str] = (),
) -> list[str]:
    """The paragraphs without chrome (see the module docstring for the rules).

    ``title`` is accepted for callers but a paragraph repeating it is kept: many feeds make the
    title from the first paragraph, and dropping it would lose text. A leading paragraph that is
    the publisher's name or a byline of one of ``authors`` ("Rudaw", "By Ana Reyes") goes, so the
    dateline is read from the first real paragraph.
    """
    names = [n for n in (publisher, *authors) if n]
    skip_keys = {k for n in names for k in (_key(n), "by " + _key(n))} - {"", "by "}
    out: list[str] = []
    leading = True
    cut_from = (len(paragraphs) + 1) // 2
    in_comments = False
    for index, para in enumerate(paragraphs):
        if is_timestamp(para):  # "Updated 5:27 am CST, ..." is byline chrome, never a notice
            continue
        # Whether it reads as a notice matters only where a rule could drop it: in the comment
        # section, for a short line, or for policy text (most paragraphs are none of these).
        short, policy = len(para) <= _SHORT, _is_policy(para)
        if (in_comments or short or policy) and is_notice(para):
            notice = True
        elif in_comments:
            continue
        else:
            notice = False
        if not notice:
            if short:
                key = _key(para)
                if index >= cut_from and (key in COMMENT_HEADINGS or _COMMENT_COUNT.match(key)):
                    in_comments = True
                    continue
                if key in CHROME_LINES or _FONT_WIDGET.match(para) or _COMMENT_COUNT.match(key):
                    continue
                if leading and para.count(" ") < _LEADING_MAX_WORDS and (key in skip_keys or _DATE_ONLY.match(para)):
                    continue
            if policy:
                continue
        leading = False
        out.append(para)
    return out
