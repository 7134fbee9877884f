"""Canonical article URLs and the article id derived from them.

Both the producers (to key raw messages) and the normalizer use these, so every version of one
article, from any feed that syndicates its URL, lands under one id on one partition.
"""

from __future__ import annotations

import hashlib
import re
from urllib.parse import parse_qsl, quote, urlencode, urlsplit, urlunsplit

#: Query parameters that identify a campaign or a click, never the article.
TRACKING_PARAMS = frozenset(
    {
        "fbclid", "gclid", "dclid", "gbraid", "wbraid", "msclkid", "yclid", "twclid", "igshid",
        "mc_cid", "mc_eid", "_hsenc", "_hsmi", "mkt_tok", "ocid", "cmpid", "cmp", "ref_src",
        "smid", "smtyp", "sr_share", "ito", "at_medium", "at_campaign", "at_custom1", "at_custom2",
        "ns_mchannel", "ns_source", "ns_campaign", "ns_linkname", "ns_fee", "icid", "soc_src",
        "soc_trk", "rss", "feedtype", "spm", "__twitter_impression", "s_cid", "xtor", "guccounter",
        # feed-tracking names found on the real-feed corpus (issue 12): Deutsche Welle's maca, the
        # NYT's emc and _r, heise's wt_mc, Al Jazeera's traffic_source; and their kin
        "maca", "emc", "_r", "wt_mc", "wt_zmc", "traffic_source", "ncid", "rss_source",
    }
)  # fmt: skip
TRACKING_PREFIXES = ("utm_", "pk_", "piwik_", "hmb_", "oly_", "vero_", "at_", "_ga")
#: Names that identify a page on some sites but are a feed tag when their value says so
#: (``ref=rss``, ``partner=rss``, ``src=rss``, Medium's ``source=rss----…``): dropped only then.
FEED_TAGGED = frozenset({"ref", "src", "source", "partner", "from", "via", "cmp", "mod", "channel", "medium"})
_FEED_VALUE = re.compile(r"rss|atom|feed|syndication", re.IGNORECASE)
DEFAULT_PORTS = {"http": 80, "https": 443}
_UNRESERVED = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~")
#: A percent-escape, a stray "%", or a character a path may not carry unescaped.
_PATH_CHUNK = re.compile(r"%([0-9A-Fa-f]{2})|%|[^A-Za-z0-9\-._~!$&'()*+,;=:@/]+")


def _path_chunk(match: re.Match[str]) -> str:
    hexpair = match.group(1)
    if hexpair is not None:
        char = chr(int(hexpair, 16))
        return char if char in _UNRESERVED else "%" + hexpair.upper()
    return quote(match.group(0), safe="")


def normalize_path(path: str) -> str:
    """RFC 3986 normalization of a path: escapes of unreserved characters decoded, other escapes
    upper-cased, characters a path may not hold (spaces, non-ASCII, a stray "%") escaped. An
    escaped "/" stays escaped, so the path means what it meant."""
    return _PATH_CHUNK.sub(_path_chunk, path) or "/"


def _is_tracking(name: str, value: str = "") -> bool:
    lowered = name.lower()
    if lowered in TRACKING_PARAMS or lowered.startswith(TRACKING_PREFIXES):
        return True
    return lowered in FEED_TAGGED and _FEED_VALUE.search(value) is not None


def canonical_url(url: str) -> str:
    """Normalize ``url``: scheme and host lower-cased, default port, fragment and tracking
    parameters dropped, remaining query parameters sorted by name (repeated names keep their order),
    path percent-encoding normalized (:func:`normalize_path`).

    Idempotent: ``canonical_url(canonical_url(u)) == canonical_url(u)``. Relative or schemeless
    strings are returned stripped but otherwise unchanged.
    """
    url = url.strip()
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        return url
    scheme = parts.scheme.lower()
    if scheme not in ("http", "https") or not parts.hostname:
        return url
    host = parts.hostname.lower().rstrip(".")
    if ":" in host:  # IPv6 literal
        host = f"[{host}]"
    netloc = host if port is None or port == DEFAULT_PORTS[scheme] else f"{host}:{port}"
    if parts.username:
        netloc = f"{parts.username}{':' + parts.password if parts.password else ''}@{netloc}"
    path = normalize_path(parts.path)
    query_pairs = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if not _is_tracking(k, v)]
    query_pairs.sort(key=lambda pair: pair[0])  # stable: repeated keys keep their order
    query = urlencode(query_pairs)
    return urlunsplit((scheme, netloc, path, query, ""))


def article_id(
    url: str | None,
    guid: str | None = None,
    feed_url: str | None = None,
    *,
    keep_fragment: bool = False,
    canonical: str | None = None,
) -> str:
    """The stable article id: a hash of the canonical URL, else of the guid scoped by feed.

    The id is ``"u:" + 24 hex chars`` (from a URL) or ``"g:" + 24 hex chars`` (from a guid), so
    readers can tell which identity it rests on. ``keep_fragment`` keeps the URL's fragment in the
    id, for feeds whose entries are anchors of one page (see :mod:`producers.identity`).
    ``canonical`` is ``canonical_url(url)`` when the caller has it already (it is not computed again).
    """
    if url and url.strip().lower().startswith(("http://", "https://")):
        key = canonical if canonical is not None else canonical_url(url)
        fragment = url.strip().partition("#")[2]
        if keep_fragment and fragment:
            key += "#" + fragment
        digest = hashlib.sha256(key.encode("utf-8")).hexdigest()
        return f"u:{digest[:24]}"
    scope = f"{feed_url or ''}\n{guid or url or ''}"
    if not (guid or url):
        raise ValueError("an article id needs a link or a guid")
    return "g:" + hashlib.sha256(scope.encode("utf-8")).hexdigest()[:24]
