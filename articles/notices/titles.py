"""The earlier headline a notice names, in the styles real notices use.

In order of trust: a quoted title after a naming word ("headlined “…”", "the article 'X'", "A reportagem
"…"", "im Text „…“", "„…” című cikk", "‘…’ 제하의 기사", "「…」との見出し"); a parenthesised reference with a
date or page ("(Why germs are the real rulers of Earth, 2 April, p20)"); an unquoted title after
"headlined"/"headed"/"titled" or "In the article …, it was …"; a title line right before the notice in a
corrections column (:func:`heading_before`).
"""

from __future__ import annotations

import re

_OPEN_CLOSE = (
    ("“", "”“’"), ("”", "”"), ('"', '"“”'), ("„", "“”\""), ("«", "»"), ("»", "«"), ("‘", "’'"), ("'", "'’"),
    ("「", "」"), ("『", "』"), ("<", ">"), ("《", "》"), ("`", "`'"), ("[", "]"),
)  # fmt: skip


def _quoted(i: int, opening: str, closing: str) -> str:
    # an apostrophe inside a word ("Blair's", "must’ve") neither opens nor closes a quote
    both = re.escape(closing + opening)
    inner = r"(?:[^\n" + both + r"]|[" + both + r"](?=\w))"
    lead = r"(?<!\w)" if opening in "'’‘" else ""
    return lead + re.escape(opening) + rf"\s*(?P<q{i}>" + inner + r"{3,300}?)\s*[" + re.escape(closing) + r"](?!\w)"


_QUOTED = "|".join(_quoted(i, o, c) for i, (o, c) in enumerate(_OPEN_CLOSE))
_NAMING = (
    r"headlined|headline[ds]?|headed|titled|entitled|title|under\s+the\s+(?:headline|title)|"
    r"article|story|report|piece|item|editorial|column|review|feature|interview|obituary|letter|post|text|"
    r"intitulée?|titrée?|sous\s+le\s+titre|papier|texte|dépêche|titulad[oa]|(?:con|bajo)\s+el\s+(?:título|titular)|"
    r"artículo|nota|noticia|columna|crónica|reportagem|matéria|texto|artigo|notícia|intitulad[oa]|"
    r"com\s+o\s+título|sob\s+o\s+título|articolo|dal\s+titolo|intitolat[oa]|titolo|"
    r"mit\s+(?:dem\s+titel|der\s+(?:überschrift|schlagzeile))|unter\s+der\s+(?:überschrift|schlagzeile)|"
    r"artikel|beitrag|meldung|bericht|überschrieben|dachzeile|hoofdartikel|bericht|"
    r"episodes?|podcast|series|programme|program|documentary|essay|op-ed|retracting|retract|withdrawing|"
    r"بعنوان|المقالة|المقال|الخبر"
)
# naming word, then at most a few words (a date, "in Monday's paper"), then the quoted title
_AFTER_NAMING = re.compile(
    r"(?:\b(?:"
    + _NAMING
    + r")\b(?:[^\n“”\"„«»‘'’「<\[]|(?<=\w)['’](?=\w)){0,40}?|(?m:^)\W{0,3}(?:in|im|nell'|nel|dans)\s*)[\s,:]*(?:"
    + _QUOTED
    + r")",
    re.I,
)
# quoted title, then a naming word after it (Hungarian, Korean, Japanese, Portuguese "..., publicado")
_BEFORE_NAMING = re.compile(
    r"(?:"
    + _QUOTED
    + r")\s*(?:című|címmel|címen|c\.\s|cím\w*|라는|이라는|제하|제목|의\s*제목|기사|との見出し|の見出し|"
    r"という見出し|記事|,?\s*publicad[oa]|,?\s*published|,?\s*pubblicat[oa]|,?\s*paru|,?\s*publié|"
    r"\s*\(|,?\s*(?:vom|from|del|de|du)\s+\d)",
    re.I,
)
_DATE_REF = r"(?:\d{1,2}\.?\s+[^\W\d_]+|[^\W\d_]+\s+\d{1,2}\b|\d{1,2}[./]\d{1,2}|page|p\.?\s?\d|pag|seite|news|comment)"
# "(Title, 2 April, p20)" / "(“Title”, 10 April)" / "(G2 page 20" after an unquoted title
_PAREN = re.compile(
    r"\(\s*(?:" + _QUOTED + r"|(?P<bare>[^()\n,]{3,200}?(?:,[^()\n,]{1,80}?){0,3}?))\s*,\s*" + _DATE_REF, re.I
)
# "In het artikel Kokend water, onzichtbare bron (17 maart, …": an unquoted title between a noun and a dated bracket
_NOUN_THEN_PAREN = re.compile(
    r"\b(?:article|artikel|hoofdartikel|editorial|report|piece|column|review|artículo|articolo|cikk)\s+"
    r"(?P<t>[A-Z][^()\n]{2,160}?)\s*\((?=[^()]*\d)"
)
_UNQUOTED_AFTER = re.compile(
    r"\b(?:headlined|headed|titled|entitled|intitulée?|titulad[oa]|intitulad[oa])\s*:?\s+(?P<t>[^\n(]{3,160}?)"
    r"(?=\s*\(|,\s|\.\s|\s+(?:that|which|on|in|published|said|stated|was|were|we)\b|$)",
    re.I,
)
# "In ICT asks ConCourt to ‘correct’ SCA ruling, it was stated that …" (an unquoted title, then what was said)
_IN_TITLE_IT_WAS = re.compile(
    r"^\W*In\s+(?P<t>[A-Z][^\n]{2,160}?),\s+(?:it\s+was\s+(?:stated|reported|said|claimed)|"
    r"we\s+(?:said|stated|reported|wrote|implied|referred|suggested)|"
    r"the\s+[\w&.\s]{2,30}?\s+(?:erroneously|incorrectly|wrongly|mistakenly))\b"
)
_TITLE_TAIL = re.compile(r"(?:\s+etc\.?)?(?:,\s*(?:page|p\.?\s?\d|\d).*)?$", re.I)
_IN_THE_ARTICLE = re.compile(
    r"^\W*(?i:in\s+(?:the|an|our|his|her)\s+(?:article|story|report|editorial|column)|"
    r"(?:a|the)\s+(?:previous|earlier|print)\s+version\s+of(?:\s+the\s+article)?|"
    r"the\s+(?:print\s+)?version\s+of\s+the\s+(?:story|article))\s*,?\s+(?P<t>[A-Z][^\n]{2,160}?)"
    r"(?=,\s*(?:it|we|the|which|published|that)\b|\s+(?:stated|said|incorrectly|contained|had|that|which|"
    r"misspel\w*|misstat\w*)\b)",
)


_PAGE = re.compile(r"\bpage\s+\d|\bp\.?\s?\d+$", re.I)
_NOT_TITLES = frozenset(
    "news comment comments magazine review new review business sport sports opinion letters".split()
)


def _first(m: re.Match[str]) -> str | None:
    return next((v for k, v in m.groupdict().items() if v is not None and k.startswith("q")), None)


def _clean(value: str | None) -> str | None:
    if value is None:
        return None
    value = " ".join(value.split()).strip(" .,;:")
    return value if len(value) >= 3 else None


def _nested(text: str, m: re.Match[str]) -> str | None:
    """The quoted group of ``m``, run on to the outer closing quote when an inner quote cut it short
    ("“‘Lockdown shaming’ being used to settle feuds – police”")."""
    name = next((k for k, v in m.groupdict().items() if v is not None and k.startswith("q")), None)
    if name is None:
        return None
    value, end = m.group(name), m.end(name)
    if text[m.start(name) - 1 : m.start(name)] == "“" and value.count("‘") > value.count("’"):
        close = text.find("”", end)
        if 0 <= close - end <= 200 and "\n" not in text[end:close]:
            return text[m.start(name) : close]
    return value


def _section_stripped(title: str | None) -> str | None:
    """ "Title, Magazine" -> "Title": a section name after the title in a dated reference."""
    if title and "," in title and title.rsplit(",", 1)[1].strip().lower() in _NOT_TITLES:
        return _clean(title.rsplit(",", 1)[0])
    return title


def referenced_title(text: str) -> str | None:
    """A headline named in a notice, or None (see the module docstring for the styles)."""
    m = _PAREN.search(text)
    paren = _section_stripped(_clean((_first(m) or m.group("bare")) if m else None))
    if paren is not None and (paren[:1].isdigit() or paren.lower() in _NOT_TITLES or _PAGE.search(paren)):
        paren = None  # "(12 oktober, p3)" is a date, "(News, last week)" a section, "(G2 page 20, …" a page
    if paren is not None and m is not None and _first(m) is not None:
        return paren  # a quoted title in a dated reference ("(“Chocs away”, 10 April, p46)") names the piece
    for pattern in (_AFTER_NAMING, _BEFORE_NAMING):
        m = pattern.search(text)
        if m is not None:
            quoted = _clean(_nested(text, m))
            if quoted is not None and (paren is None or m.start() < text.find("(")):
                return quoted
    if paren is not None:
        return paren
    for pattern in (_NOUN_THEN_PAREN, _UNQUOTED_AFTER, _IN_THE_ARTICLE, _IN_TITLE_IT_WAS):
        m = pattern.search(text)
        if m is not None:
            return _clean(_TITLE_TAIL.sub("", m.group("t")))
    return None


def labelled_heading_before(body: str, start: int) -> str | None:
    """The title on a labelled line right before a notice ("Story: “…” (July 18)"), or None: said so
    explicitly, it outranks a quotation inside the notice."""
    lines = [line.strip() for line in body[:start].split("\n")][:-1]
    lines = [line for line in lines if line]
    if not lines or not _STORY_LABEL.match(lines[-1]):
        return None
    return heading_before(body, start)


def heading_before(body: str, start: int) -> str | None:
    """The line before a notice when it reads as a headline (short, no final stop, no label; a date
    line between them is skipped): a corrections column names the piece it corrects that way."""
    from articles.notices.cues import label_at, timestamp_only

    lines = [line.strip() for line in body[:start].split("\n")][:-1]  # whole lines before the notice's own
    lines = [line for line in lines if line]
    if lines and (_is_date_line(lines[-1], timestamp_only) or (len(lines) > 1 and _SHOW_AND_DATE.search(lines[-1]))):
        lines.pop()  # "November 11", or a programme and its date under the title ("Morning Edition, October 15, 2010")
    if not lines:
        return None
    line = _STORY_LABEL.sub("", lines[-1])
    quoted = re.match(_QUOTED, line) if line != lines[-1] or line[:1] in "“\"'‘„«" else None
    if quoted is not None:  # 'Story: “…” (May 27)', or a quoted headline alone on its line
        return _clean(_first(quoted))
    line = _TRAILING_DATE.sub("", line).strip("“”\"'‘’ ")
    if not 8 <= len(line) <= 200 or line[-1] in ".!?:;…" or line.isupper() or "|" in line or line.count(" ") < 2:
        return None
    if sum(ch.isdigit() for ch in line) > 4 or _is_date_line(line, timestamp_only):
        return None
    if label_at(line) is not None or line.lower().startswith(("correction", "clarification", "update")):
        return None
    return _clean(line)


_SHOW_AND_DATE = re.compile(r"^[^\n,]{3,40},\s*(?:[A-Z][a-z]+\.?\s+\d{1,2},\s+\d{4}|\d{1,2}\s+[A-Z][a-z]+\s+\d{4})$")
_STORY_LABEL = re.compile(r"^(?:story|article|re)\s*:\s*", re.I)
_TRAILING_DATE = re.compile(r"\s*\([^()]{0,30}\d[^()]{0,30}\)\s*$")
_DATE_WORDS_LINE = re.compile(r"^[\w\s,.\-/:]{0,40}$")


def _is_date_line(line: str, timestamp_only: object) -> bool:
    """ "October 18, 2010", "November 11": a date with no headline."""
    if not any(ch.isdigit() for ch in line) or not _DATE_WORDS_LINE.match(line):
        return False
    from articles.notices.cues import _date_words

    words = re.findall(r"[^\W\d_]+", line.casefold())
    return all(w in _date_words() for w in words)
