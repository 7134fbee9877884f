"""Lines a main-content extractor keeps that are not the article: the headline again, promos. Pure.

Runs on the paragraphs trafilatura returns. Two rules, each seen across publishers (the benchmark's
pages, the real feeds' ``content:encoded``, the seed), not on one site:

- **The headline repeated** in the first three paragraphs (the page's ``<h1>``, a video block's
  caption), compared without case,
  punctuation or a " | Site" / " - Site" suffix of the ``<title>``.
- **Promotion lines**: a paragraph that, as a whole, points elsewhere ("Read more: …",
  "Related: …", "Also on example.com …", "DON'T MISS"), asks for a share, a follow or a newsletter
  sign-up ("Follow us on Twitter …", "Sign up for … newsletter"), or is a lone "Tags"/"Comments"
  heading; and a labelled time stamp ("Updated at 1:23 p.m.", :mod:`articles.timestamps`).

A paragraph that could be an editorial notice is never dropped (:func:`articles.notices.could_be_notice`
says False only when no notice cue is present).
"""

from __future__ import annotations

import re

from articles.notices import could_be_notice
from articles.text import compare_key
from articles.timestamps import is_timestamp

#: Promotion and navigation lines, matched at the start of a paragraph (case-insensitive).
_PROMO = re.compile(
    r"^(?:(?:read|see|watch|listen to)\s+(?:more|also|next)\b\s*(?:[:|»>\-–—]|on\b|about\b|here\b)"
    r"|related\s*(?:articles?|stories|content|coverage|links?|reading)?\s*:"
    r"|also\s+(?:read|on\s+[\w.-]+\.[a-z]{2,}|see)\b"
    r"|more\s*:\s"
    r"|don[’']?t\s+miss\b\s*:?\s*$"
    r"|recommended(?:\s+for\s+you)?\s*:?\s*$"
    r"|(?:tags?|topics?|comments?|share(?:\s+this)?(?:\s+(?:article|story|post))?)\s*:?\s*$"
    r"|(?:like|enjoyed?)\s+this\s+(?:story|article|post)\?\s*share\b"
    r"|follow\s+(?:us|@?[\w.]+(?:\s+[\w.]+){0,6})\s+on\s+(?:twitter|x|facebook|instagram|linkedin|youtube|tiktok)\b"
    r"|(?:©|\(c\)\s|copyright\b)"
    r"|(?:sign\s+up|subscribe)\b.{0,120}\b(?:newsletters?|inbox)\b"
    r"|get\s+the\s+latest\b.{0,80}\b(?:inbox|newsletters?)\b"
    r"|tell\s+us\s+what\s+you\s+think\b)",
    re.IGNORECASE,
)
#: An author's contact line ("Email Tariq Malik at tmalik@space.com or follow him @tariqjmalik").
_CONTACT = re.compile(
    r"(?:\b(?:e-?mail|reach|reached|contact)\b.{0,60}[\w.+-]+@[\w-]+\.[\w.]+|\bfollow\s+(?:him|her|them|me)\b.{0,40}@\w+)",
    re.IGNORECASE,
)
#: A keyword list (what follows a "Tags" label): comma-separated short items, no sentence in it.
_KEYWORDS = re.compile(r"^[^.!?]{1,60}(?:,\s*[^.!?,]{1,60}){3,}$")
#: Longest paragraph that can be a promotion line (a promo is one short sentence or a label).
_PROMO_MAX = 200
#: How many leading paragraphs may repeat the headline.
_TITLE_ZONE = 3
_TITLE_SUFFIX = re.compile(r"\s+[|–—-]\s+[^|–—-]{1,60}$")


def _title_keys(titles: tuple[str | None, ...]) -> set[str]:
    keys: set[str] = set()
    for title in titles:
        if title:
            keys.add(compare_key(title))
            keys.add(compare_key(_TITLE_SUFFIX.sub("", title)))
    keys.discard("")
    return keys


def is_promo(paragraph: str) -> bool:
    """True when the whole paragraph is a promotion, share, follow, contact or sign-up line, or a
    copyright line (never a notice)."""
    if len(paragraph) > _PROMO_MAX:
        return False
    if _PROMO.match(paragraph) is None and _CONTACT.search(paragraph) is None:
        return False
    return not could_be_notice(paragraph)


_TAG_LABEL = re.compile(r"^(?:tags?|topics?|keywords?|tagged(?: with)?)\s*:?\s*$", re.IGNORECASE)


_WORD = re.compile(r"\w+")


def _shingles(text: str) -> set[tuple[str, ...]]:
    words = _WORD.findall(text.casefold())
    return {tuple(words[i : i + 4]) for i in range(max(1, len(words) - 3))}


def cross_check(paragraphs: list[str], article_body: str | None) -> list[str]:
    """Paragraphs the publisher's own JSON-LD ``articleBody`` does not contain, dropped.

    Only when that body is substantial (:data:`CROSS_CHECK_WORDS`) and describes the same text
    (most of the extracted 4-word shingles are in it): then a paragraph sharing no shingle with it
    is a widget the extractor took for text. Notices are kept (they are often outside articleBody).
    """
    if not article_body or len(_WORD.findall(article_body)) < CROSS_CHECK_WORDS:
        return paragraphs
    body = _shingles(article_body)
    extracted = _shingles(" ".join(paragraphs))
    if len(extracted & body) < SAME_TEXT_SHARE * len(extracted):
        return paragraphs
    return [p for p in paragraphs if _shingles(p) & body or could_be_notice(p)]


#: Fewest words an ``articleBody`` needs to be trusted as a cross-check (a teaser is not the body).
CROSS_CHECK_WORDS = 100
#: Share of the extracted shingles found in ``articleBody`` for both to be the same text.
SAME_TEXT_SHARE = 0.5


def clean(paragraphs: list[str], titles: tuple[str | None, ...] = ()) -> list[str]:
    """``paragraphs`` without a leading repeat of any of ``titles``, promotion lines, and a
    keyword list after a "Tags" label."""
    out: list[str] = []
    after_tags = False
    for para in paragraphs:
        if after_tags and _KEYWORDS.match(para):
            continue
        after_tags = _TAG_LABEL.match(para) is not None
        if not is_promo(para) and not is_timestamp(para):
            out.append(para)
    keys = _title_keys(titles)
    if keys:  # the <h1>, and a video or teaser block repeating it, come in the first few paragraphs
        head = [p for p in out[:_TITLE_ZONE] if compare_key(p) not in keys]
        out = head + out[_TITLE_ZONE:]
    return out
