"""Per-language cue data (``cues.json``) compiled once: the cheap trigger and the label matcher."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any

KINDS = ("correction", "clarification", "update", "retraction", "editors_note")
# "Updated to include …": the infinitives that make "<label> to …" a notice rather than prose
_TO_VERBS = r"(?:include|add|reflect|correct|clarify|remove|note|show|say|state|update|make|change|delete|better)"
_WORDISH = re.compile(r"[^\W\d_]+(?:\.[^\W\d_]+)*", re.UNICODE)


@cache
def data() -> dict[str, Any]:
    """The parsed ``cues.json`` shipped in the package."""
    text = resources.files("articles.notices").joinpath("cues.json").read_text(encoding="utf-8")
    parsed: dict[str, Any] = json.loads(text)
    return parsed


def trie_pattern(words: list[str]) -> str:
    """A regex alternation factored by common prefixes: far faster than a flat one in ``re``."""
    trie: dict[str, Any] = {}
    for word in sorted(set(words)):
        node = trie
        for ch in word:
            node = node.setdefault(ch, {})
        node[""] = {}

    def build(node: dict[str, Any]) -> str:
        if "" in node and len(node) == 1:
            return ""
        alternatives = [re.escape(ch) + build(child) for ch, child in sorted(node.items()) if ch]
        body = alternatives[0] if len(alternatives) == 1 else "(?:" + "|".join(alternatives) + ")"
        return "(?:" + body + ")?" if "" in node else body

    return build(trie)


@cache
def _trigger_words() -> Any:
    """An Aho-Corasick automaton of every trigger cue of every language: one pass over the text
    whatever the number of cues (``re`` over the same ~1,000 words costs 3-10 times more)."""
    import ahocorasick

    automaton = ahocorasick.Automaton()
    for word in sorted({w for ws in data()["trigger"].values() for w in ws}):
        automaton.add_word(word, word)
    automaton.make_automaton()
    return automaton


@cache
def _trigger_patterns() -> tuple[tuple[str, re.Pattern[str]], ...]:
    return tuple((p["needs"], re.compile(p["re"])) for p in data()["trigger_patterns"])


def could_be_notice(text: str) -> bool:
    """Cheap trigger: False when ``text`` holds no cue that a notice needs (then it is not one)."""
    lower = text.lower()
    if next(_trigger_words().iter(lower), None) is not None:
        return True
    # a pattern is searched only when its literal is there (a substring test is far cheaper than \b…)
    for needs, pattern in _trigger_patterns():
        if needs in lower and pattern.search(lower) is not None:
            return True
    return False


def opens_like_notice(text: str) -> bool:
    """True when ``text`` opens with a notice label or a notice's opening words ("An earlier version …")."""
    head = text.lstrip()[:80].lower()
    return label_at(text.lstrip()) is not None or head.startswith(_openers())


@cache
def _openers() -> tuple[str, ...]:
    return tuple(data()["openers"])


@cache
def _label_words() -> dict[str, str]:
    """Label word (lower-case) -> kind."""
    return {word.lower(): kind for kind, words in data()["labels"].items() for word in words}


@cache
def _label_re() -> re.Pattern[str]:
    words = sorted(_label_words(), key=len, reverse=True)
    alternation = "|".join(re.escape(w).replace(r"\ ", r"\s+") for w in words)
    # optional opening bracket or bullet; an optional "latest"/"new"; the label word; a number ("UPDATE 2");
    # then anything short up to a separator (checked to be a date/time stamp by ``label_at``)
    return re.compile(
        r"\W{0,4}?[(\[]?(?:(?:latest|new|última|dernière|neueste)\s+)?(?P<word>" + alternation + r")(?!\w)"
        r"(?P<tail>(?:[^\n:–—|\]]|(?<=\d):(?=\d)){0,48}?)(?P<sep>\s*(?:[:–—|\]]|\s-\s|(?<=\d)-|-(?=\s))|\s*$)",
        re.IGNORECASE,
    )


@dataclass(frozen=True, slots=True)
class Label:
    """A notice label: its kind, where it ends, and whether a date or time stamp sits in it."""

    kind: str
    word: str
    end: int
    dated: bool


@cache
def _label_heads() -> tuple[frozenset[str], tuple[str, ...]]:
    """First three letters of every label word (and of the "latest"/"new" before one); shorter words whole."""
    words = [*_label_words(), "latest", "new", "última", "dernière", "neueste"]
    return frozenset(w[:3] for w in words if len(w) >= 3), tuple(w for w in words if len(w) < 3)


def label_at(text: str, pos: int = 0, *, need_separator: bool = False, endpos: int | None = None) -> Label | None:
    """The label opening ``text[pos:endpos]`` ("Correction added 12 March 2019:", "UPDATE 2-"), or None.

    Between the label word and its separator only a number, date or time stamp may stand, so "Update your
    passwords now" is not a label. With ``need_separator`` (a label inside a paragraph) the end of text
    does not count as a separator. ``Label.end`` counts from ``pos``.
    """
    end = len(text) if endpos is None else endpos
    # most calls are at ordinary sentence starts: the first letters rule them out before the regex
    first = pos
    while first < end and first - pos < 4 and not (text[first].isalnum() or text[first] == "_"):
        first += 1
    heads, short = _label_heads()
    letters = text[first : first + 3].lower()
    if letters not in heads and not letters.startswith(short):
        return None
    m = _label_re().match(text, pos, end)
    if m is None:
        return None
    sep = m.group("sep")
    if need_separator and not sep.strip():
        return None
    tail = m.group("tail")
    date_words = _date_words()
    words = _WORDISH.findall(tail)
    if any(w.casefold().strip(".") not in date_words for w in words):
        # "UPDATED at 8:35 pm with the correction": a stamp then "with"/"to" content is still a label
        head = re.match(
            r"[\s,]*(?:(?:at|on)\s+)?[\d:.,\s]*(?:[ap]\.?m\.?)?\s*(?:\w{2,4}\s+)?(?=with\b|to\s+" + _TO_VERBS + r"\b)",
            tail,
        )
        if head is None or sep.strip():
            return None
        return Label(
            _label_words()[" ".join(m.group("word").lower().split())], m.group("word"), m.start("tail") - pos, True
        )
    kind = _label_words()[" ".join(m.group("word").lower().split())]
    dated = any(ch.isdigit() for ch in tail) or bool(words)
    return Label(kind, m.group("word"), m.end() - pos, dated)


@cache
def _date_words() -> frozenset[str]:
    return frozenset(data()["date_words"])


def timestamp_only(text: str) -> bool:
    """True for a stamp with no content ("Updated 10:02 AM EDT, Tue March 5, 2024"): page chrome."""
    if len(text) > 120 or not any(ch.isdigit() for ch in text):
        return False
    words = _date_words()
    return all(w.casefold().strip(".") in words or w.casefold() in _label_words() for w in _WORDISH.findall(text))
