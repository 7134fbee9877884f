"""The feed list: ``feeds.toml`` (read with tomllib, validated) and OPML import.

```toml
[defaults]              # optional; applies to every feed that does not say otherwise
interval = "5m"         # seconds (integer) or "90s", "5m", "1h"

[[feeds]]
url = "https://feeds.bbci.co.uk/news/world/rss.xml"
name = "BBC News - World"
publisher = "BBC News"  # optional, defaults to name
language = "en"         # optional
interval = "10m"        # optional
tags = ["world"]        # optional
enabled = true          # optional
headers = { "Accept-Language" = "en" }   # optional extra request headers
type = "rss"            # optional: the producer (entry point in group newsstream.producers)
```

Every error names the file, the feed (number and name or URL) and the field.
"""

from __future__ import annotations

import hashlib
import re
import tomllib
import xml.etree.ElementTree as ET  # noqa: S405 - input is defused first (see parse_opml)
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from newsstream.errors import ConfigError

DEFAULT_INTERVAL_S = 300.0
# Politeness is enforced by the schedule floor (NEWSSTREAM_POLL_FLOOR_SECONDS, default 60 s), which
# clamps any shorter interval; the list itself accepts down to 1 s so local demos and tests can poll fast.
MIN_INTERVAL_S = 1.0
MAX_INTERVAL_S = 7 * 24 * 3600.0
FEED_FIELDS = ("url", "name", "publisher", "language", "interval", "tags", "enabled", "headers", "type")
DEFAULT_FIELDS = ("interval", "enabled", "type", "headers", "tags", "language", "publisher")
_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(s|m|h|d)?\s*$")
_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400, None: 1}


class FeedListError(ConfigError):
    """The feed list is malformed; the message names the file, the feed and the field."""


@dataclass(frozen=True)
class FeedConfig:
    """One feed of the list."""

    url: str
    name: str
    publisher: str | None = None
    language: str | None = None
    interval_s: float = DEFAULT_INTERVAL_S
    tags: tuple[str, ...] = ()
    enabled: bool = True
    headers: tuple[tuple[str, str], ...] = ()
    type: str = "rss"

    @property
    def host(self) -> str:
        return (urlsplit(self.url).hostname or "").lower()

    def shard(self, count: int) -> int:
        """The stable shard of this feed among ``count`` (sha1 of the URL, not Python's hash)."""
        return int.from_bytes(hashlib.sha1(self.url.encode("utf-8")).digest()[:8], "big") % count  # noqa: S324


def parse_duration(value: Any) -> float:
    """Seconds from an integer/float or a string like ``"90s"``, ``"5m"``, ``"1h"``, ``"1d"``."""
    if isinstance(value, bool):
        raise ValueError("expected seconds or a duration like '5m'")
    if isinstance(value, int | float):
        seconds = float(value)
    elif isinstance(value, str) and (match := _DURATION.match(value)):
        seconds = float(match.group(1)) * _UNITS[match.group(2)]
    else:
        raise ValueError(f"{value!r} is not seconds or a duration like '90s', '5m', '1h'")
    if not MIN_INTERVAL_S <= seconds <= MAX_INTERVAL_S:
        raise ValueError(f"{seconds:g} s is outside {MIN_INTERVAL_S:g} s .. {MAX_INTERVAL_S / 86400:g} days")
    return seconds


def _feed_label(index: int, raw: dict[str, Any]) -> str:
    name = raw.get("name") if isinstance(raw.get("name"), str) else None
    url = raw.get("url") if isinstance(raw.get("url"), str) else None
    return f"feed #{index}" + (f" ({name or url})" if (name or url) else "")


def _check_url(value: Any) -> str:
    if not isinstance(value, str) or not value.strip():
        raise ValueError("must be a non-empty string")
    url = value.strip()
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError(f"{url!r} is not an absolute http(s) URL")
    return url


def _optional_text(value: Any) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str):
        raise ValueError("must be a string")
    return value.strip() or None


def _tags(value: Any) -> tuple[str, ...]:
    if not isinstance(value, list) or not all(isinstance(t, str) for t in value):
        raise ValueError("must be a list of strings")
    return tuple(t.strip() for t in value if t.strip())


def _headers(value: Any) -> tuple[tuple[str, str], ...]:
    if not isinstance(value, dict) or not all(isinstance(k, str) and isinstance(v, str) for k, v in value.items()):
        raise ValueError("must be a table of string values")
    for key, val in value.items():
        if not re.fullmatch(r"[!#$%&'*+.^_`|~0-9A-Za-z-]+", key) or "\n" in val or "\r" in val:
            raise ValueError(f"{key!r} is not a valid header")
    return tuple(sorted(value.items()))


def _enabled(value: Any) -> bool:
    if not isinstance(value, bool):
        raise ValueError("must be true or false")
    return value


def _type(value: Any, known_types: Iterable[str] | None) -> str:
    if not isinstance(value, str) or not value.strip():
        raise ValueError("must be a non-empty string")
    known = sorted(known_types) if known_types is not None else None
    if known is not None and value not in known:
        raise ValueError(f"unknown producer type {value!r}; installed: {', '.join(known)}")
    return value


def feed_from_dict(raw: dict[str, Any], defaults: dict[str, Any], known_types: Iterable[str] | None) -> FeedConfig:
    """One FeedConfig; raises ``(field, ValueError)`` wrapped as KeyError-free ValueError text."""
    merged = {**defaults, **raw}
    unknown = sorted(set(raw) - set(FEED_FIELDS))
    if unknown:
        raise _FieldError(unknown[0], f"unknown field (known: {', '.join(FEED_FIELDS)})")
    values: dict[str, Any] = {}
    checks: list[tuple[str, Any]] = [
        ("url", lambda v: _check_url(v)),
        ("name", lambda v: _optional_text(v) or _raise("must be a non-empty string")),
        ("publisher", _optional_text),
        ("language", _optional_text),
        ("interval", parse_duration),
        ("tags", _tags),
        ("enabled", _enabled),
        ("headers", _headers),
        ("type", lambda v: _type(v, known_types)),
    ]
    for name, check in checks:
        if name not in merged:
            if name in ("url", "name"):
                raise _FieldError(name, "is required")
            continue
        try:
            values[name] = check(merged[name])
        except ValueError as exc:
            raise _FieldError(name, str(exc)) from None
    return FeedConfig(
        url=values["url"],
        name=values["name"],
        publisher=values.get("publisher") or values["name"],
        language=values.get("language"),
        interval_s=values.get("interval", DEFAULT_INTERVAL_S),
        tags=values.get("tags", ()),
        enabled=values.get("enabled", True),
        headers=values.get("headers", ()),
        type=values.get("type", "rss"),
    )


class _FieldError(ValueError):
    def __init__(self, field_name: str, message: str) -> None:
        super().__init__(message)
        self.field_name = field_name


def _raise(message: str) -> str:
    raise ValueError(message)


def load_feeds(path: Path | str, known_types: Iterable[str] | None = None) -> list[FeedConfig]:
    """Read and validate the feed list (every feed, enabled or not); FeedListError on the first error."""
    path = Path(path)
    try:
        document = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise FeedListError(f"{path}: file not found (set NEWSSTREAM_FEEDS or pass --feeds)") from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise FeedListError(f"{path}: not valid TOML: {exc}") from None
    return feeds_from_document(document, str(path), known_types)


def feeds_from_document(
    document: dict[str, Any], source: str, known_types: Iterable[str] | None = None
) -> list[FeedConfig]:
    extra = sorted(set(document) - {"feeds", "defaults"})
    if extra:
        raise FeedListError(f"{source}: unknown top-level key {extra[0]!r} (expected [defaults] and [[feeds]])")
    defaults = document.get("defaults", {})
    if not isinstance(defaults, dict):
        raise FeedListError(f"{source}: [defaults] must be a table")
    bad_defaults = sorted(set(defaults) - set(DEFAULT_FIELDS))
    if bad_defaults:
        raise FeedListError(f"{source}: [defaults]: field {bad_defaults[0]!r} cannot have a default")
    raw_feeds = document.get("feeds", [])
    if not isinstance(raw_feeds, list):
        raise FeedListError(f"{source}: 'feeds' must be an array of tables ([[feeds]])")
    feeds: list[FeedConfig] = []
    seen: dict[str, int] = {}
    for index, raw in enumerate(raw_feeds, start=1):
        if not isinstance(raw, dict):
            raise FeedListError(f"{source}: feed #{index}: must be a table ([[feeds]])")
        try:
            feed = feed_from_dict(raw, defaults, known_types)
        except _FieldError as exc:
            raise FeedListError(f"{source}: {_feed_label(index, raw)}: field {exc.field_name!r}: {exc}") from None
        if feed.url in seen:
            raise FeedListError(
                f"{source}: {_feed_label(index, raw)}: field 'url': duplicate of feed #{seen[feed.url]}"
            )
        seen[feed.url] = index
        feeds.append(feed)
    return feeds


# --- writing TOML (by hand: the standard library reads TOML but does not write it) ---------------


def toml_string(value: str) -> str:
    """A TOML basic string with every character that needs it escaped."""
    out = ['"']
    for char in value:
        code = ord(char)
        if char == '"':
            out.append('\\"')
        elif char == "\\":
            out.append("\\\\")
        elif char == "\n":
            out.append("\\n")
        elif char == "\t":
            out.append("\\t")
        elif char == "\r":
            out.append("\\r")
        elif code < 0x20 or code == 0x7F:
            out.append(f"\\u{code:04X}")
        else:
            out.append(char)
    out.append('"')
    return "".join(out)


def feed_to_toml(feed: FeedConfig) -> str:
    """One ``[[feeds]]`` table."""
    lines = ["[[feeds]]", f"url = {toml_string(feed.url)}", f"name = {toml_string(feed.name)}"]
    if feed.publisher and feed.publisher != feed.name:
        lines.append(f"publisher = {toml_string(feed.publisher)}")
    if feed.language:
        lines.append(f"language = {toml_string(feed.language)}")
    if feed.interval_s != DEFAULT_INTERVAL_S:
        lines.append(f"interval = {int(feed.interval_s)}")
    if feed.tags:
        lines.append("tags = [" + ", ".join(toml_string(t) for t in feed.tags) + "]")
    if not feed.enabled:
        lines.append("enabled = false")
    if feed.headers:
        lines.append("headers = { " + ", ".join(f"{toml_string(k)} = {toml_string(v)}" for k, v in feed.headers) + " }")
    if feed.type != "rss":
        lines.append(f"type = {toml_string(feed.type)}")
    return "\n".join(lines) + "\n"


# --- OPML ----------------------------------------------------------------------------------------


@dataclass
class OpmlImport:
    feeds: list[FeedConfig] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)  # one reason per outline not imported


def _opml_type(outline: ET.Element, url: str) -> str:
    """``jsonfeed`` when the outline or the URL says JSON (``type="json"``, ``….json``), else ``rss``.
    Most OPML exporters write ``type="rss"`` for every feed; the producer also sniffs the content."""
    kind = (outline.get("type") or "").strip().lower()
    path = urlsplit(url).path.lower()
    query = urlsplit(url).query.lower()
    if kind in ("json", "jsonfeed") or path.endswith(".json") or "format=json" in query:
        return "jsonfeed"
    return "rss"


def _opml_publisher(outline: ET.Element) -> str | None:
    """An explicit ``publisher`` attribute, else the site of ``htmlUrl`` without ``www.`` (so every
    feed of one site shares the publisher that scopes the title index), else None."""
    explicit = (outline.get("publisher") or "").strip()
    if explicit:
        return explicit
    host = urlsplit((outline.get("htmlUrl") or outline.get("htmlurl") or "").strip()).hostname
    return host.removeprefix("www.") if host else None


def parse_opml(data: bytes, source: str = "OPML") -> OpmlImport:
    """Feeds from an OPML export: every ``outline`` with an ``xmlUrl``; parent outlines become tags."""
    from producers.parse import defuse_doctype

    data, _ = defuse_doctype(data)
    if b"<!ENTITY" in data[:65536]:
        raise FeedListError(f"{source}: entity declarations are not accepted in OPML")
    try:
        root = ET.fromstring(data)  # noqa: S314 - DOCTYPE entities refused above
    except ET.ParseError as exc:
        raise FeedListError(f"{source}: not well-formed OPML: {exc}") from None
    body = root.find("body")
    if root.tag != "opml" or body is None:
        raise FeedListError(f"{source}: not an OPML document (no <opml><body>)")
    result = OpmlImport()
    seen: set[str] = set()

    def walk(node: ET.Element, path: Sequence[str]) -> None:
        for outline in node.findall("outline"):
            text = (outline.get("title") or outline.get("text") or "").strip()
            xml_url = (outline.get("xmlUrl") or outline.get("xmlurl") or "").strip()
            if not xml_url:
                walk(outline, [*path, text] if text else path)
                continue
            try:
                url = _check_url(xml_url)
            except ValueError as exc:
                result.skipped.append(f"{text or xml_url}: {exc}")
                continue
            if url in seen:
                result.skipped.append(f"{text or url}: duplicate URL")
                continue
            seen.add(url)
            result.feeds.append(
                FeedConfig(
                    url=url,
                    name=text or urlsplit(url).hostname or url,
                    publisher=_opml_publisher(outline),
                    language=(outline.get("language") or "").strip() or None,
                    tags=tuple(p for p in path if p),
                    type=_opml_type(outline, url),
                )
            )

    walk(body, [])
    return result
