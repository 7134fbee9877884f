"""Features of one candidate segment: hashed word n-grams, word prefixes and structural cues.

Training (``articles.notices.train``) and scoring (``articles.notices.model``) call the same
:func:`featurize`, so they cannot drift. Text features are hashed (CRC-32, stable across runs and
machines) into :data:`DIMENSIONS` buckets and L2-normalised; structural features (position, length,
label, self-reference, tense, third-party reporting, quotes) are added with value 1. Scripts without
spaces (Japanese, Chinese) get character bigrams instead of words.
"""

from __future__ import annotations

import math
import re
import zlib

from articles.notices.cues import timestamp_only
from articles.notices.rules import classify
from articles.notices.segment import Segment

#: Version of the feature definition; a model trained on another one is refused at load.
FEATURES_VERSION = 2
#: Hash buckets (a power of two).
DIMENSIONS = 1 << 18
#: Tokens of a segment looked at (a notice says what it is early).
MAX_TOKENS = 120
DESCRIPTION = (
    "hashed (crc32, 2^18) word unigrams and bigrams, 4- and 6-character word prefixes, the first 1-3 words, "
    "character bigrams of runs without spaces (CJK); structural: position (title/top/bottom/inline), inline, "
    "opens its block, label kind and date stamp, length and sentence-count buckets, time stamp only, "
    "starts with a quote or bracket, quote count, digits, self-reference, first person, past-tense error "
    "or change verb, third-party reporting, no final punctuation; context: last 20 words of the 200 characters "
    "before the segment, whether they end in a colon or a quote, third-party reporting in them; the verdict of "
    "the hand-written rules (articles.notices.rules)"
)

_TOKEN = re.compile(r"\w+", re.UNICODE)
_NO_SPACE_SCRIPT = re.compile(r"[\u3040-\u30ff\u3400-\u9fff\uf900-\ufaff]")
_QUOTES = re.compile(r"[\"“”„«»‘’'「」『』]")
_SELF = re.compile(
    r"\b(?:this|the\s+above)\s+(?:article|story|report|piece|post|column|item|version|headline|page|text|video)\b|"
    r"\b(?:an?|the)\s+(?:earlier|previous|prior|original|initial|first|print|online)\s+(?:version|edition|draft)|"
    r"\b(?:dieser|dieses|diesem|unser\w*)\s+(?:artikel|text|beitrag|bericht)\w*|\b(?:cet|notre)\s+(?:article|texte)|"
    r"\b(?:este|esta|nuestr[oa])\s+(?:artículo|noticia|texto|nota)|\b(?:questo|nostro)\s+articolo|"
    r"\b(?:cikkünk|portálunk|본지|본보|本紙|当社)"
)
_FIRST_PERSON = re.compile(
    r"\b(?:we|our|us|wir|uns|unser\w*|nous|notre|nos|nosotros|nuestr[oa]s?|publicamos|erramos|abbiamo|nostr[oaie])\b"
)
_ERROR_VERB = re.compile(
    r"\b(?:mis\w+ed|mis\w+t|incorrectly|wrongly|erroneously|mistakenly|inaccurate\w*|in\s+error|should\s+have|"
    r"(?:has|have|had|was|were)\s+(?:since\s+)?been\s+(?:updated|amended|changed|corrected|removed|revised|"
    r"withdrawn|retracted|deleted|edited)|fälschlich\w*|irrtümlich\w*|falsch\w*|à\s+tort|par\s+erreur|"
    r"erróneamente|por\s+error|incorrectamente|erroneamente|tévesen|valótlanul)\b"
)
_THIRD_PARTY = re.compile(
    r"\bits\s+(?:own\s+)?(?:article|story|report|reporting|coverage|piece|paper|study|findings|headline|post)\b|"
    r"\b(?:issued|published|ran|appended|posted|printed)\s+(?:an?\s+|the\s+)?(?:\w+\s+)?(?:correction|retraction|"
    r"clarification|apology)|\b(?:journal|publisher|newspaper|broadcaster|network|magazine|outlet|tabloid|"
    r"station|website|authors?|researchers?|scientists?)\s+(?:has\s+|had\s+|have\s+)?(?:retracted|withdrew|"
    r"corrected|issued|apologi[sz]ed)|\b(?:said|says|told|according\s+to)\b|"
    r"\b(?:paper|study|studies|research)\s+(?:was|were|has\s+been|had\s+been)\s+(?:retracted|withdrawn)"
)


def _bucket(value: int, edges: tuple[int, ...]) -> int:
    return next((i for i, edge in enumerate(edges) if value <= edge), len(edges))


def feature_names(text: str, segment: Segment) -> tuple[list[str], list[str]]:
    """``(text features, structural features)`` of one segment's text, as strings (before hashing)."""
    lower = text.lower()
    tokens = _TOKEN.findall(lower)[:MAX_TOKENS]
    words: list[str] = []
    for i, tok in enumerate(tokens):
        if _NO_SPACE_SCRIPT.search(tok):
            words.extend("c:" + tok[k : k + 2] for k in range(max(1, len(tok) - 1)))
            continue
        words.append("w:" + tok)
        if len(tok) > 5:
            words.append("p4:" + tok[:4])
            if len(tok) > 7:
                words.append("p6:" + tok[:6])
        if i:
            words.append("b:" + tokens[i - 1] + " " + tok)
    if tokens:
        words.append("s1:" + tokens[0])
        if len(tokens) > 1:
            words.append("s2:" + tokens[0] + " " + tokens[1])
            if len(tokens) > 2:
                words.append("s3:" + " ".join(tokens[:3]))
    stripped = text.lstrip()
    first = stripped[:1]
    label = segment.label
    flags = [
        "pos:" + segment.position,
        "len:" + str(_bucket(len(text), (40, 80, 160, 320, 640))),
        "sents:" + str(_bucket(segment.sentences, (1, 2, 4, 8))),
        "quotes:" + str(_bucket(len(_QUOTES.findall(text)), (0, 1, 3))),
        "digits:" + str(_bucket(sum(ch.isdigit() for ch in text), (0, 4, 12))),
    ]
    if segment.inline:
        flags.append("inline")
    if segment.sentence == 0:
        flags.append("opens_block")
    if label is not None:
        flags.append("label:" + label.kind)
        flags.append("label")
        if label.dated:
            flags.append("label_dated")
    if first in "([":
        flags.append("starts_bracket")
    if first and _QUOTES.match(first):
        flags.append("starts_quote")
    if stripped[:1].isupper() and stripped[:12].isupper():
        flags.append("starts_caps")
    if stripped and stripped.rstrip("\"'”’»)]")[-1:] not in ".!?…:;":
        flags.append("no_final_punct")  # a headline or a label line, not a sentence
    if timestamp_only(text):
        flags.append("timestamp_only")
    # the cue patterns are written lower-case and searched on the lower-cased text: IGNORECASE costs ~2x
    if _SELF.search(lower):
        flags.append("self")
    if _FIRST_PERSON.search(lower):
        flags.append("first_person")
    if _ERROR_VERB.search(lower):
        flags.append("error_verb")
    if _THIRD_PARTY.search(lower):
        flags.append("third_party")
    return words, flags


#: Characters before a segment read as its context (the lead-in "… led you to this correction:").
CONTEXT_CHARS = 200
CONTEXT_TOKENS = 20


def context_names(before: str) -> list[str]:
    """Features of the text just before a segment: its last words, and how it ends."""
    tail = before[-CONTEXT_CHARS:]
    names = ["pv:" + tok for tok in _TOKEN.findall(tail.lower())[-CONTEXT_TOKENS:]]
    end = tail.rstrip()[-1:]
    if end == ":":
        names.append("pv_colon")
    if end and _QUOTES.match(end):
        names.append("pv_quote")
    if _THIRD_PARTY.search(tail.lower()):
        names.append("pv_third_party")
    return names


def featurize(text: str, segment: Segment, before: str = "") -> tuple[list[int], list[float]]:
    """Sparse feature vector of one segment (``before``: the body's text before it): ``(indices, values)``."""
    words, flags = feature_names(text, segment)
    if before and CONTEXT_CHARS:
        flags += context_names(before)
    verdict = classify(text, segment.position if segment.position != "title" else "top")
    if verdict is not None:  # the hand-written rules' verdict, as evidence among the rest
        flags += ["rule", "rule:" + verdict[0]]
    counts: dict[int, float] = {}
    for name in words:
        index = zlib.crc32(name.encode()) & (DIMENSIONS - 1)
        counts[index] = counts.get(index, 0.0) + 1.0
    norm = math.sqrt(sum(v * v for v in counts.values())) or 1.0
    vector = {index: value / norm for index, value in counts.items()}
    for name in flags:
        vector[zlib.crc32(("f:" + name).encode()) & (DIMENSIONS - 1)] = 1.0
    return list(vector), list(vector.values())
