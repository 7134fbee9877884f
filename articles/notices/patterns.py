"""The hand-written notice patterns of the rule-based detector (before the learned model), as data.

The learned classifier reads their verdict (:func:`articles.notices.rules.classify`) as one feature
among many: they encode labels, self-reference, tense and third-party reporting for English, German,
French and Spanish, which the small corpus alone teaches less well.
"""

from __future__ import annotations

import re

from articles.notices.cues import trie_pattern

_I = re.IGNORECASE
#: A block longer than this: only explicit cues count in it.
SHORT_BLOCK = 420

# --- cheap trigger: blocks without any of these are skipped ------------------------------------------
_CUES = (
    "correct corrig correcci corregid clarif updat retract withdr editor amend headline erron mistak incorrect "
    "wrong misstat misspel misident misquot misattrib misreport mischarac misnam misdescr misrepres misdat "
    "mislabel misgend misheard miscalc apolog regret error erreur errat fehler version versión fassung "
    "korrektur berichtig richtigstell klarstell präzisier aktualis redaktion entschuldig zurückgezogen "
    "überschrift rectif rédaction précis excus retiré modifié actualiz aclaraci disculp redacción lamentamos "
    "retirad titular titre removed unpublished fälsch irrtüm versehent desarrollo appended transposed"
).split() + [
    "we said",
    "we wrote",
    "we reported",
    "we referred",
    "we described",
    "we called",
    "we stated",
    "we quoted",
    "we want",
    "our story",
    "our article",
    "our report",
    "our obituary",
    "our review",
    "wir ",
    "mise à jour",
    "mis à jour",
    "fe de err",
    "taken down",
    "should have",
    "in fact",
    "make clear",
    "(corrects",
    "(fixes",
    "(adds",
    "(updates",
    "(recasts",
    "(refiles",
    "developing story",
]


#: Any cue word, on lower-cased text.
_TRIGGER = re.compile(trie_pattern(_CUES))

# --- labels at the start of a block -------------------------------------------------------------------
_LABEL_WORDS: list[tuple[str, str]] = [
    (
        "editors_note",
        r"editor'?s'?\s*note|editors'\s*note|ed\.\s*note|note\s+from\s+the\s+editors?|"
        r"anmerkung\s+der\s+redaktion|hinweis\s+der\s+redaktion|in\s+eigener\s+sache|note\s+de\s+la\s+rédaction|"
        r"n\.?\s?d\.?\s?l\.?\s?r\.?|nota\s+del?\s+(?:editor|la\s+redacción|redacción)|nota\s+da\s+reda[çc][ãa]o",
    ),
    (
        "correction",
        r"corrections?|corrected|correcting|korrektur|berichtigung|richtigstellung|rectificatifs?|"
        r"rectification|corrección|correccion|correção|fe\s+de\s+(?:errores|erratas)|errat(?:um|a)|"
        r"korrigiert|corregido|corrigé",
    ),
    ("clarification", r"clarifications?|clarified|klarstellung|präzisierung|précisions?|aclaración|aclaracion"),
    ("retraction", r"retractions?|retracted|withdrawn|rétractation|retractación"),
    (
        "update",
        r"updates?|updated|update\s*\d+|aktualisierung|aktualisiert|nachtrag|mise\s+à\s+jour|mis\s+à\s+jour|"
        r"actualización|actualizacion|actualizado|atualização|atualizado|última\s+hora",
    ),
]
_LABEL = re.compile(
    r"^\W{0,4}(?:latest\s+|new\s+|última\s+|dernière\s+|neueste\s+)?(?:(?P<editors_note>"
    + _LABEL_WORDS[0][1]
    + r")|(?P<correction>"
    + _LABEL_WORDS[1][1]
    + r")|(?P<clarification>"
    + _LABEL_WORDS[2][1]
    + r")|(?P<retraction>"
    + _LABEL_WORDS[3][1]
    + r")|(?P<update>"
    + _LABEL_WORDS[4][1]
    + r"))"
    # what follows a label: a colon/dash/bracket, a number ("UPDATE 2-"), or "at/on <time>", "with", "to"
    r"(?P<after>\s*\d*\s*[:\-–—\].),]|\s+\d|\s+(?:at|on|am|le|el|um|vom|du|del|a\s+las|a\s+la|à|–|—)\s|\s*$|"
    r"\s+\(|\s+with\b|\s+to\b|\s+appended\b)",
    _I,
)
# "Corrections and clarifications" column headers and the like: the label family, not a notice.
_LABEL_ONLY = re.compile(r"^\W*(?:corrections?\s*(?:and|&)\s*clarifications?|corrections?|updates?)\W*$", _I)
# A bare timestamp after an update label ("Updated 10:02 AM EDT, March 5, 2024") is page chrome.
_DATE_WORDS = frozenset(
    "on at am pm a.m p.m m h uhr le el um the of de del a las à et y und gmt utc bst cet cest est edt et pt pdt cdt "
    "mez mesz jan feb mar apr may jun jul aug sep sept oct nov dec january february march april june july "
    "august september october november december mon tue wed thu fri sat sun monday tuesday wednesday thursday "
    "friday saturday sunday janvier février mars avril mai juin juillet août septembre octobre novembre "
    "décembre enero febrero marzo abril mayo junio julio agosto septiembre octubre noviembre diciembre januar "
    "februar märz juni juli oktober dezember lundi mardi mercredi jeudi vendredi samedi dimanche lunes martes "
    "miércoles jueves viernes sábado domingo montag dienstag mittwoch donnerstag freitag samstag sonntag "
    "last updated update mis jour mise actualizado aktualisiert publié published".split()
)
_WORDISH = re.compile(r"[^\W\d_]+(?:\.[^\W\d_]+)*", re.UNICODE)


def _timestamp_only(text: str) -> bool:
    """True for a dateline-style stamp with no content ("Updated 10:02 AM EDT, Tue March 5, 2024")."""
    if len(text) > 120 or not any(ch.isdigit() for ch in text):
        return False
    return all(w.casefold().strip(".") in _DATE_WORDS for w in _WORDISH.findall(text))


# --- self-reference: the outlet speaking of this article ----------------------------------------------
_ARTICLE_NOUN = (
    r"(?:article|story|report|piece|post|column|item|interview|review|obituary|analysis|editorial|blog\s+post|"
    r"newsletter|graphic|chart|map|caption|photo\s+caption|video|podcast|episode|headline|text|feature|"
    r"profile|explainer|live\s+blog|page|summary|version|list|table|image|photo)"
)
_SELF = re.compile(
    r"\b(?:this|the\s+above)\s+" + _ARTICLE_NOUN + r"|\b(?:an?|the)\s+(?:earlier|previous|prior|original|"
    r"initial|first)\s+(?:version|edition|draft|headline|iteration)|\bwe\b|\bour\b|"
    r"^\W*the\s+(?:article|story|report|post|piece|headline|photo|picture|caption|graphic|chart|map)\b|"
    r"\bregrets\s+the\s+error|\bdeveloping\s+story|\bnoticia\s+en\s+desarrollo|\bse\s+irá\s+actualizando|"
    r"^\W{0,2}\((?:corrects|fixes|updates|adds|refiles)\b|"
    r"\b(?:an?|the|our)\s+(?:article|story|report|item|obituary|caption|graphic|headline|review|column|"
    r"feature|editorial|interview|profile|chart|map|picture|photo)\s+(?:on|in|of|about|published|last|yesterday|"
    r"on\s+page|headlined|titled)|\b(?:yesterday|last\s+\w+|monday|tuesday|wednesday|thursday|friday|saturday|"
    r"sunday)'s\s+(?:article|story|report|edition|paper|issue|obituary|column|review)|"
    r"\b(?:dieser|dieses|diesem|der|des|unser\w*)\s+(?:artikel\w*|text\w*|beitrag\w*|bericht\w*)|\bwir\b|"
    r"\b(?:frühere|früheren|vorherige|vorherigen|ersten)\s+(?:version|fassung)|"
    r"\b(?:cet|notre|l')\s*(?:article|papier|texte|dépêche)|\bnous\b|\b(?:une|la)\s+(?:précédente|première|"
    r"ancienne)\s+version|"
    r"\b(?:este|esta|nuestr[oa])\s+(?:artículo|noticia|información|texto|crónica)|\b(?:una|la)\s+versión\s+"
    r"anterior|\bnos\b|\blamentamos\b|\bpedimos\b",
    _I,
)
# Reporting on someone else's notice or retraction: not a notice of ours.
_THIRD_PARTY = re.compile(
    r"\bits\s+(?:own\s+)?(?:article|story|report|reporting|coverage|piece|paper|study|findings|headline|post)\b|"
    r"\b(?:issued|published|ran|appended|posted|printed|added)\s+(?:an?\s+|the\s+)?(?:\w+\s+)?"
    r"(?:correction|retraction|clarification|editor'?s\s+note)|"
    r"\b(?:the|a|its|whose)\s+(?:correction|retraction|clarification)\s+(?:read|said|says|stated|noted|came|"
    r"followed|was\s+issued|was\s+published)|"
    r"\b(?:journal|publisher|newspaper|paper|broadcaster|network|magazine|outlet|agency|tabloid|station|"
    r"site|website|daily|authors?|researchers?|scientists?|university)\s+(?:has\s+|had\s+|have\s+)?"
    r"(?:retracted|withdrew|withdrawn|corrected|issued|apologi[sz]ed|published\s+a)|"
    r"\b(?:retract|withdraw|correct)(?:ed|ing|s)?\s+(?:the|a|their|his|her|its)\s+(?:paper|study|studies|article|"
    r"claim|claims|report|statement|findings|research|remarks|story)\b|"
    r"\b(?:paper|study|studies|research|findings)\s+(?:was|were|has\s+been|had\s+been|have\s+been)\s+"
    r"(?:retracted|withdrawn)|"
    r"\b(?:said|says|told|according\s+to)\b[^.]{0,60}\b(?:correction|retraction)\b|"
    # attributed speech: "We said we would deliver," the minister told reporters.
    r",\W{0,2}\s*(?:the\s+\w+(?:\s+\w+)?|he|she|they|[A-Z]\w+(?:\s+[A-Z]\w+)?)\s+(?:told|said|says|added|wrote)\b|"
    r"^\W{0,2}[\"“„«‘]",
    _I,
)

# --- explicit patterns (count anywhere) ----------------------------------------------------------------
_ERR_VERB = (
    r"(?:misstated|misspelt|misspelled|misidentified|misquoted|misattributed|misreported|mischaracteri[sz]ed|"
    r"misnamed|misdescribed|misrepresented|misdated|mislabell?ed|misgendered|misheard|miscalculated|"
    r"incorrectly|wrongly|erroneously|mistakenly|inaccurately|falsely|in\s+error|"
    r"gave\s+(?:the\s+)?(?:an?\s+)?(?:wrong|incorrect|inaccurate)|contained\s+(?:an?\s+)?(?:error|errors|"
    r"inaccurac\w+|mistakes?)|included\s+(?:an?\s+)?(?:incorrect|wrong|inaccurate)|had\s+the\s+wrong|"
    r"got\s+(?:the\s+)?\w*\s*wrong|confused|reversed|transposed|omitted|overstated|understated|"
    r"understated|exaggerated|conflated)"
)
_EARLIER = r"(?:an?|the)\s+(?:earlier|previous|prior|original|initial|first)\s+(?:version|edition|draft|iteration)"
# "an earlier version of this article('s headline)," -- the version must be of the article itself
_EARLIER_OF = (
    _EARLIER + r"(?:\s+of\s+(?:this|the|our|that)\s+(?:\w+\s+)?" + _ARTICLE_NOUN + r"(?:'s\s+\w+)?)?"
    r"(?:,\s*[^,]{0,80},)?\s+(?:\w+\s+){0,2}?"
)
# the outlet's own earlier item: "An article on Page A12 on Monday", "Yesterday's obituary", "Our story on ..."
_OWN_ITEM = (
    r"(?:\b(?:an?|our)\s+(?:article|story|report|item|obituary|caption|picture\s+caption|photo\s+caption|graphic|"
    r"headline|review|column|feature|editorial|interview|profile|chart|map|table|letter|leader|listing|"
    r"preview|guide)\b[^.]{0,80}?|\b(?:yesterday|last\s+\w+|monday|tuesday|wednesday|thursday|friday|saturday|"
    r"sunday)'s\s+\w+(?:\s+\w+)?\s+)"
)
_PATTERNS: list[tuple[str, re.Pattern[str], str]] = [
    # (type, pattern, strength) -- strength "strong" counts anywhere, "weak" only in short edge blocks
    (
        "headline_change",
        re.compile(
            r"\b(?:the|this|our|its)\s+(?:article'?s\s+|story'?s\s+)?(?:headline|title|heading)s?\s+(?:of\s+this\s+"
            + _ARTICLE_NOUN
            + r"\s+|on\s+this\s+"
            + _ARTICLE_NOUN
            + r"\s+)?(?:has|have|was|were|had)\s+(?:since\s+)?"
            r"(?:been\s+)?(?:changed|amended|updated|edited|revised|altered|rewritten|reworded)|"
            r"\b(?:changed|amended|updated|edited|revised|altered|reworded)\s+(?:the|this|its|our)\s+(?:article'?s\s+)?"
            r"(?:headline|title)|\b(?:headline|title)\s+(?:change|changed)\b|"
            r"\b(?:an?|the)\s+(?:earlier|previous|original|prior)\s+headline\s+(?:read|was|said|of\s+this)|"
            r"\b(?:die\s+)?(?:überschrift|schlagzeile|titel)\s+(?:dieses\s+\w+\s+)?wurde\s+(?:\w+\s+)?(?:geändert|"
            r"angepasst|aktualisiert|präzisiert)|"
            r"\ble\s+titre\s+(?:de\s+cet\s+article\s+)?a\s+été\s+(?:modifié|changé|mis\s+à\s+jour)|"
            r"\bel\s+titular\s+(?:de\s+(?:este|esta)\s+\w+\s+)?(?:ha\s+sido|fue)\s+(?:modificado|cambiado|actualizado)|"
            r"\bse\s+ha\s+(?:modificado|cambiado)\s+el\s+titular",
            _I,
        ),
        "strong",
    ),
    (
        "retraction",
        re.compile(
            r"\b(?:this|the\s+above)\s+" + _ARTICLE_NOUN + r"\s+(?:has\s+been|was|is\s+being|have\s+been)\s+"
            r"(?:retracted|withdrawn|removed|taken\s+down|unpublished|deleted)|"
            r"\bwe\s+(?:have\s+|are\s+|had\s+)?(?:retracted|retracting|withdrawn|withdrew|withdrawing|removed|"
            r"unpublished|taken\s+down|deleted)\s+(?:this|the)\s+" + _ARTICLE_NOUN + r"|"
            r"\b(?:dieser|der)\s+(?:artikel|beitrag|text)\s+wurde\s+(?:\w+\s+)?(?:zurückgezogen|entfernt|gelöscht|"
            r"depubliziert)|\bcet\s+article\s+a\s+été\s+(?:retiré|dépublié|supprimé)|"
            r"\b(?:este|esta)\s+(?:artículo|noticia|información)\s+(?:ha\s+sido|fue)\s+(?:retirad[oa]|eliminad[oa]|"
            r"despublicad[oa])",
            _I,
        ),
        "strong",
    ),
    (
        "clarification",
        re.compile(
            r"\b(?:amended|updated|edited|changed|revised|corrected|rewritten|expanded)\s+(?:\w+\s+){0,8}?to\s+"
            r"(?:clarify|make\s+(?:it\s+)?clear|better\s+(?:reflect|explain|describe)|more\s+accurately|"
            r"more\s+clearly|avoid\s+(?:any\s+)?(?:confusion|ambiguity|the\s+impression))|"
            r"\b(?:did\s+not|didn't|failed\s+to)\s+make\s+(?:it\s+)?clear|\bwas\s+(?:unclear|ambiguous)|"
            r"\b(?:could|may|might)\s+have\s+(?:given|left|created|conveyed)\s+(?:readers\s+)?(?:the|a|an)\s+"
            r"(?:\w+\s+)?impression|\bwe\s+(?:want|wish|would\s+like)\s+to\s+(?:clarify|make\s+clear)|"
            r"\bwurde\s+(?:\w+\s+)?präzisiert|\bwir\s+(?:möchten|wollen)\s+(?:\w+\s+)?klarstellen|"
            r"\ba\s+été\s+(?:\w+\s+)?(?:précisé|clarifié)|\bnous\s+(?:tenons|souhaitons)\s+à\s+préciser|"
            r"\bpara\s+(?:aclarar|precisar)\b|\bqueremos\s+aclarar|"
            r"\b(?:a|this)\s+clarification\s+(?:has\s+been|was)\s+(?:added|appended)",
            _I,
        ),
        "strong",
    ),
    (
        "correction",
        re.compile(
            _EARLIER_OF + r"(?:" + _ERR_VERB + r"|said|stated|reported|described|referred|named|"
            r"identified|gave|listed|showed|suggested|quoted|attributed|called|put|was\s+wrong|had)\b|"
            r"^\W{0,2}\((?:corrects|fixes|corrected)\b|\b(?:a|this)\s+correction\s+(?:has\s+been|was)\s+"
            r"(?:added|appended)|\bcorrection\s+appended\b|"
            r"\b(?:this|the\s+above)\s+" + _ARTICLE_NOUN + r"\s+(?:has\s+been|was|have\s+been|had\s+been|is\s+being)\s+"
            r"(?:\w+\s+){0,3}?(?:corrected|amended\s+to\s+correct|changed\s+to\s+correct|edited\s+to\s+correct|"
            r"updated\s+to\s+correct|amended\s+because|updated\s+because|corrected\s+to|changed\s+because)|"
            r"\b(?:amended|updated|edited|changed|revised)\s+(?:[^.]{0,40}?\s+)?(?:to\s+correct|to\s+fix|"
            r"because\s+(?:an?|the)\s+(?:earlier|previous|original)|to\s+remove\s+(?:an?\s+)?(?:incorrect|"
            r"erroneous|inaccurate))|"
            r"\b(?:due\s+to|because\s+of|owing\s+to|as\s+a\s+result\s+of|through)\s+an?\s+(?:editing|editorial|"
            r"production|reporting|transcription|translation|typographical|subbing)\s+error|"
            r"\b(?:the|this|an?)\s+error\s+(?:has\s+been|was|have\s+been)\s+(?:corrected|fixed|amended)|"
            r"\b(?:we|this\s+" + _ARTICLE_NOUN + r")\s+(?:\w+\s+)?" + _ERR_VERB + r"|"
            r"\b(?:in\s+einer\s+)?(?:früheren|vorherigen|ersten|älteren)\s+(?:version|fassung)\s+[^.]{0,120}?"
            r"(?:hieß\s+es|stand|war|wurde|hatten\s+wir|haben\s+wir)|"
            r"\b(?:fälschlicherweise|irrtümlich|fälschlich|versehentlich)\b[^.]{0,80}\b(?:wir|artikel|text|beitrag|"
            r"version|fassung|berichtet|geschrieben)|\b(?:wir|artikel|text|beitrag|version|fassung)\b[^.]{0,80}"
            r"\b(?:fälschlicherweise|irrtümlich|fälschlich|versehentlich)\b|"
            r"\b(?:dieser|der)\s+(?:artikel|beitrag|text)\s+wurde\s+(?:\w+\s+)?korrigiert|"
            r"\bwir\s+haben\s+(?:den|diesen|die)\s+(?:fehler|angabe\w*)\s+(?:\w+\s+)?(?:korrigiert|berichtigt|behoben)|"
            r"\b(?:une|la)\s+(?:précédente|première|ancienne)\s+version\s+[^.]{0,160}?|"
            r"\b(?:à\s+tort|par\s+erreur|erronément|de\s+manière\s+erronée)\b[^.]{0,80}\b(?:article|version|"
            r"nous|indiqu|écrit|mentionn)|\b(?:article|version|nous)\b[^.]{0,80}\b(?:à\s+tort|par\s+erreur|"
            r"erronément)|\bcet\s+article\s+a\s+été\s+(?:\w+\s+)?corrigé|"
            r"\b(?:una|la)\s+versión\s+anterior\s+[^.]{0,160}?\b(?:decía|indicaba|afirmaba|señalaba|atribuía|"
            r"erróneamente|por\s+error|incorrectamente)|\b(?:erróneamente|por\s+error|incorrectamente|"
            r"equivocadamente)\b[^.]{0,80}\b(?:publicamos|informamos|indicamos|escribimos|artículo|noticia|versión)|"
            r"\b(?:publicamos|informamos|indicamos|escribimos|artículo|noticia|versión)\b[^.]{0,80}"
            r"\b(?:erróneamente|por\s+error|incorrectamente|equivocadamente)|"
            r"\b(?:este|esta)\s+(?:artículo|noticia|información)\s+(?:ha\s+sido|fue)\s+(?:\w+\s+)?corregid[oa]",
            _I,
        ),
        "strong",
    ),
    (
        "update",
        re.compile(
            r"(?:\b(?:this|the\s+above)|^\W*the)\s+" + _ARTICLE_NOUN + r"\b[^.]{0,80}?\b(?:has\s+been|was|have\s+been|"
            r"will\s+be|is\s+being|had\s+been)\s+(?:\w+\s+)?(?:updated|expanded|revised|amended|refreshed|added\s+to)|"
            r"^\W{0,2}\((?:updates|adds|recasts|refiles)\b|\bse\s+irá\s+actualizando|"
            r"\bthis\s+is\s+a\s+(?:developing|breaking|live)\s+(?:news\s+)?story|"
            r"\b(?:updated|amended)\s+(?:at|on)\s+[^.]{0,40}?\s+(?:with|to\s+(?:include|add|reflect|note|show))\b|"
            r"\b(?:updated|amended|refreshed)\s+(?:with|to\s+(?:include|add|reflect|note))\s+(?:new|additional|"
            r"further|latest|more|the\s+latest|comments?|details?|reporting|information|figures|reaction)|"
            r"\b(?:dieser|der)\s+(?:artikel|beitrag|text)\s+wurde\s+(?:\w+\s+)?(?:aktualisiert|ergänzt|erweitert)|"
            r"\bwird\s+(?:laufend\s+)?aktualisiert|"
            r"\bcet\s+article\s+a\s+été\s+(?:\w+\s+)?(?:mis\s+à\s+jour|actualisé|complété|modifié)|"
            r"\bsera\s+(?:mis\s+à\s+jour|actualisé)|"
            r"\b(?:este|esta)\s+(?:artículo|noticia|información)\s+(?:ha\s+sido|fue|será|se\s+irá|se\s+está)\s+"
            r"(?:\w+\s+)?(?:actualizad[oa]|ampliad[oa]|modificad[oa]|actualizando|ampliando)|"
            r"\bnoticia\s+en\s+(?:desarrollo|ampliación)",
            _I,
        ),
        "strong",
    ),
    (
        "editors_note",
        re.compile(
            r"\b(?:amended|edited|updated|changed)\s+(?:on\s+[^.]{0,40}?\s+)?to\s+(?:remove|withhold|protect|omit|delete|"
            r"anonymi[sz]e)|\b(?:name|names|identity|details?|photo|image|video|paragraph|sentence|reference|quote)s?\s+"
            r"(?:\w+\s+){0,4}?(?:has|have|was|were)\s+(?:since\s+)?been\s+(?:removed|withheld|changed|omitted|"
            r"deleted|cut|blurred)\s+(?:from\s+this\s+" + _ARTICLE_NOUN + r"|for\s+legal|at\s+the\s+request|"
            r"to\s+protect|because|after|following|since)",
            _I,
        ),
        "strong",
    ),
    # weak: corrections-column voice and apologies, only in short blocks at the edges
    (
        "correction",
        re.compile(
            r"^\W{0,3}(?:in\s+[^,]{0,60},\s+)?we\s+(?:said|wrote|reported|stated|described|called|referred|"
            r"gave|quoted|named|listed|suggested|attributed|described|mentioned|claimed|implied|put|had)\b|"
            r"\b(?:we|our\s+\w+)\s+(?:\w+\s+)?(?:erroneously|mistakenly|wrongly|incorrectly)\b|"
            r"^\W{0,2}" + _OWN_ITEM + _ERR_VERB + r"\b|"
            r"^\W{0,3}(?:in\s+[^.]{0,60}?,?\s+)?we\s+(?:said|wrote|reported|stated|described|called|referred)\b|"
            r"^\W{0,2}our\s+(?:\w+\s+)?(?:story|article|report|item|review|obituary)\b[^.]{0,100}\b(?:said|reported|"
            r"stated|wrote|described|claimed|suggested)\b[^.]*\.\s+(?:the\s+correct|in\s+fact|it\s+(?:is|was)|"
            r"they\s+(?:are|were)|he\s+(?:is|was)|she\s+(?:is|was)|this\s+is\s+(?:not\s+)?(?:correct|true))|"
            r"\bregrets\s+the\s+(?:error|errors|mistake)|"
            r"\b(?:erroneously|mistakenly|wrongly|incorrectly)\s+(?:mentioned|said|stated|reported|described|"
            r"referred|identified|attributed|named|gave|listed|included|called|credited|captioned|labelled|labeled|"
            r"printed|spelled|spelt|dated|located)\b|"
            r"\bwe\s+(?:apologi[sz]e|regret|are\s+sorry|sincerely\s+apologi[sz]e)\b[^.]{0,80}?\b(?:error|errors|"
            r"mistake|mistakes|inaccurac\w*|confusion|misunderstanding|oversight|distress|embarrassment|offence|"
            r"offense|any\s+hurt)|\bwe\s+regret\s+(?:the|this|our)\s+(?:error|mistake)|"
            r"\b(?:should\s+have|ought\s+to\s+have)\s+(?:said|read|stated|been|referred|described|named|identified|"
            r"shown|given)\b|\bapologies\s+for\s+(?:the|this|our|any)\s+(?:error|mistake|confusion)|"
            r"\bwir\s+bitten\s+(?:\w+\s+){0,3}?(?:entschuldigung|um\s+entschuldigung|den\s+fehler\s+zu\s+entschuldigen|"
            r"(?:diesen|den)\s+fehler\s+zu\s+entschuldigen)|\bwir\s+entschuldigen\s+uns\b|"
            r"\bnous\s+(?:nous\s+excusons|présentons\s+nos\s+excuses|prions)\b|\btoutes\s+nos\s+excuses\b|"
            r"\b(?:pedimos|ofrecemos)\s+(?:\w+\s+)?disculpas\b|\blamentamos\s+(?:el|este|los)\s+(?:error|errores)|"
            r"\bnous\s+avions\s+(?:écrit|indiqué|affirmé)|\b(?:habíamos|hemos)\s+(?:publicado|escrito|indicado)\s+"
            r"(?:erróneamente|por\s+error)|\bhatten\s+wir\s+(?:\w+\s+){0,5}?(?:geschrieben|berichtet|gemeldet)",
            _I,
        ),
        "weak",
    ),
]

_ORDER = ("headline_change", "retraction", "clarification", "correction", "editors_note", "update")
# strong before weak; among strong ones, the more specific type first ("amended to remove" before "amended")
_PATTERNS.sort(key=lambda p: (p[2] == "weak", _ORDER.index(p[0])))

# Content of an editor's-note label that is about a change to the article (else: intro/warning/bio).
_CHANGE_CONTENT = re.compile(
    r"\b(?:has|have|had)\s+(?:since\s+)?been\s+(?:updated|amended|changed|edited|removed|revised|withheld|"
    r"altered|added|corrected|withdrawn|retracted|deleted|expanded)|\b(?:was|were)\s+(?:since\s+|subsequently\s+)?"
    r"(?:updated|amended|changed|edited|removed|revised|withheld|altered|corrected|withdrawn|retracted|deleted)|"
    r"\bwe\s+(?:have|'ve|had)\s+(?:since\s+)?(?:removed|changed|amended|updated|edited|withheld|added|"
    r"corrected|deleted)|\bafter\s+(?:this|the)\s+(?:\w+\s+)?(?:was|had\s+been)\s+(?:first\s+)?published|"
    r"\bsince\s+(?:this|the)\s+(?:\w+\s+)?was\s+(?:first\s+)?published|\bfollowing\s+publication|"
    r"\bafter\s+publication|\bat\s+the\s+request\s+of|\bno\s+longer\b|"
    r"\bwurde\s+(?:nachträglich\s+)?(?:geändert|aktualisiert|ergänzt|entfernt|gekürzt|angepasst)|"
    r"\ba\s+été\s+(?:modifié|mis\s+à\s+jour|retiré|complété)|"
    r"\b(?:ha\s+sido|han\s+sido|fue|fueron)\s+(?:modificad|actualizad|retirad|cambiad)",
    _I,
)
_CORRECTION_CONTENT = re.compile(
    _EARLIER
    + r"\b[^.;]{0,160}?\b"
    + _ERR_VERB
    + r"|\b"
    + _ERR_VERB
    + r"\b[^.;]{0,80}?\b(?:this|the)\s+"
    + _ARTICLE_NOUN
    + r"|\b(?:error|mistake|inaccuracy)\s+(?:has\s+been|was)\s+(?:corrected|fixed)|"
    r"\bwe\s+(?:regret|apologi[sz]e)\s+(?:the|this|for\s+the)\s+(?:error|mistake)",
    _I,
)
